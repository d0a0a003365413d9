"""The technical project's own notebooks, graded through the real pipeline."""
from pathlib import Path

from tests.support import environments

ASSIGNMENTS = Path(__file__).resolve().parents[2] / "assignments"


def test_the_solution_reaches_97_5_percent_and_is_within_a_point_of_the_reference(grade):
    result = grade((ASSIGNMENTS / "mnist_solution.ipynb").read_bytes())
    assert result.status == "graded", result.message
    assert result.accuracy >= 0.975
    assert result.accuracy >= result.feedback["reference"]["accuracy"] - 0.01
    assert not result.flagged
    # the solution declares what the template asks for, and the coaching reads it
    assert result.feedback["declared"]["layer_sizes"] == [784, 256, 128, 64, 10]
    assert result.accuracy < result.feedback["declared"]["train_accuracy"] <= 1


def test_the_untouched_template_runs_and_fails_only_at_the_unwritten_predict(grade):
    result = grade((ASSIGNMENTS / "mnist_template.ipynb").read_bytes())
    assert result.status == "failed"
    assert result.message == "The grading step that calls predict(images) raised NotImplementedError"
    # explained where the student can act: their predict, in the template's last code cell
    failure = result.feedback["failure"]
    assert failure["mistake"]["key"] == "template_todo" and "`predict` still ends" in failure["mistake"]["fix"]
    assert failure["function"] == "predict(images)" and failure["cell"] == 10
    assert [line["code"].strip() for line in failure["source"]["lines"] if line["current"]] == ["raise NotImplementedError"]
    assert all(frame["own"] for frame in failure["frames"])  # the grader's own prediction step is not shown


def _self_check(predict):
    """The template's self-check cell, run here on a stand-in training set with this predict."""
    import json

    import numpy as np

    cells = json.loads((ASSIGNMENTS / "mnist_template.ipynb").read_text())["cells"]
    source = next("".join(c["source"]) for c in cells if "def self_check" in "".join(c["source"]))
    rng = np.random.default_rng(0)
    scope = {"np": np, "predict": predict, "X_train": rng.random((300, 784), dtype=np.float32),
             "y_train": np.arange(300) % 10}
    exec(source.split("\n\n\nproblem, right")[0], scope)  # the function; the cell then prints its verdict
    return scope["self_check"](), scope["y_train"][-100:]


def test_the_templates_self_check_says_what_the_grader_would_refuse_without_stopping_the_notebook():
    import numpy as np

    def unwritten(images):
        raise NotImplementedError

    def buggy(images):
        raise ValueError("shapes (100,784) and (256,10) not aligned")

    cases = {
        unwritten: "not written yet",
        buggy: "raised ValueError: shapes (100,784)",
        (lambda images: np.zeros((len(images), 10))): "scores of shape (100, 10)",
        (lambda images: np.zeros(len(images) - 1, dtype=int)): "must return 100 labels",
        (lambda images: np.full(len(images), 0.5)): "fractional",
        (lambda images: np.full(len(images), 10)): "100 labels outside 0-9",
        (lambda images: np.array(["7"] * len(images))): "values of type <U1",
    }
    for predict, said in cases.items():
        (problem, right), _ = _self_check(predict)
        assert said in (problem or ""), (said, problem)
        assert right is None


def test_the_templates_self_check_passes_a_predict_that_keeps_the_contract_and_counts_what_it_got_right():
    (problem, right), labels = _self_check(lambda images: [7] * len(images))
    assert problem is None and right == int((labels == 7).sum())


@environments.needs("pytorch")
def test_the_pytorch_solution_reaches_97_percent_in_the_pytorch_environment(grade):
    result = grade((ASSIGNMENTS / "mnist_pytorch_solution.ipynb").read_bytes(), environment="pytorch")
    assert result.status == "graded", result.message
    assert result.accuracy >= 0.97 and not result.flagged
    assert result.feedback["declared"]["layer_sizes"] == [784, 256, 128, 64, 10]
    # a minute of training on one core, charged whatever else the host was doing
    assert result.feedback["charged_seconds"] < 90


@environments.needs("pytorch")
def test_the_untouched_pytorch_template_fails_only_at_the_unwritten_predict(grade):
    result = grade((ASSIGNMENTS / "mnist_pytorch_template.ipynb").read_bytes(), environment="pytorch")
    assert result.status == "failed"
    assert result.message == "The grading step that calls predict(images) raised NotImplementedError"
    assert result.feedback["failure"]["mistake"]["key"] == "template_todo"
