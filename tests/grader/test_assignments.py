"""The technical project's own notebooks, graded through the real pipeline."""
from pathlib import Path

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
