"""The grading run on real kernels in the real sandbox (no Celery): what students see."""
import numpy as np

from grader import copies
from tests.support.notebooks import LOAD_MNIST, NEAREST_MEAN, nearest_mean_notebook, notebook

CONSTANT = "def predict(images):\n    return [0] * len(images)"


def test_a_nearest_mean_classifier_scores_about_82_percent_with_full_feedback(grade):
    result = grade(nearest_mean_notebook())
    assert result.status == "graded", result.message
    assert 0.80 < result.accuracy < 0.84
    assert abs(result.public_accuracy - result.accuracy) < 0.02 and abs(result.private_accuracy - result.accuracy) < 0.02
    assert len(result.feedback["per_digit"]) == 10
    assert sum(map(sum, result.feedback["confusion"])) == 10_000
    assert result.feedback["reference"]["accuracy"] > 0.97
    assert result.feedback["per_digit_delta"][1] < 0.05
    assert result.feedback["misclassified_total"] == round((1 - result.accuracy) * 10_000)
    # every wrong image is kept for the copy check, beside the gallery's 32
    wrong = copies.unpack(result.feedback["wrong"])
    assert wrong.shape == (10_000,) and wrong.sum() == result.feedback["misclassified_total"]
    assert {m["index"] for m in result.feedback["misclassified"]} <= set(np.flatnonzero(wrong).tolist())
    assert not result.flagged and result.feedback["probe"]["gap"] < 0.05
    assert result.run_seconds > 0 and result.peak_memory_mb > 0
    assert '"predict"' not in (result.notebook or "")  # our prediction cell is not in the student's notebook
    # what the coaching reads: the nearest-mean baseline (this very classifier), the most confused pairs
    assert abs(result.feedback["baseline"]["nearest_mean_accuracy"] - result.accuracy) < 1e-9
    pairs = result.feedback["confused_pairs"]
    assert pairs[0]["count"] >= pairs[-1]["count"] and all(p["true"] != p["predicted"] for p in pairs)
    assert all(1 <= len(p["images"]) <= 3 for p in pairs)
    assert result.feedback["declared"] == {}  # it sets neither layer_sizes nor train_accuracy


def test_what_the_notebook_declares_about_itself_reaches_the_feedback_checked(grade):
    result = grade(notebook(LOAD_MNIST, NEAREST_MEAN, "import numpy as np\nlayer_sizes = np.array([784, 100, 10])\n"
                            "train_accuracy = np.float32(0.5)"))
    assert result.status == "graded", result.message
    assert result.feedback["declared"] == {"layer_sizes": [784, 100, 10], "train_accuracy": 0.5}
    # an endless iterator is read no further than the contract allows; neither value is kept
    odd = grade(notebook(CONSTANT, "import itertools\nlayer_sizes = itertools.count(1)\ntrain_accuracy = 7"))
    assert odd.status == "graded" and odd.feedback["declared"] == {}


def test_a_cell_that_raises_fails_naming_the_cell_and_the_error(grade):
    result = grade(notebook("x = 1", "1 / 0"))
    assert result.status == "failed"
    assert result.message == "Cell 2 raised ZeroDivisionError: division by zero"
    assert "ZeroDivisionError" in result.notebook  # the executed notebook shows the traceback
    failure = result.feedback["failure"]
    assert failure["cell"] == 2 and failure["error"] == "ZeroDivisionError: division by zero"
    assert failure["source"]["lines"] == [{"number": 1, "code": "1 / 0", "current": True}]
    assert "mistake" not in failure  # not one of the named mistakes: the cell and the error say it


def test_a_notebook_without_predict_fails_saying_so(grade):
    result = grade(notebook("x = 1"))
    assert result.status == "failed"
    assert "defines neither predict(images) nor a torch `model`" in result.message


def test_predict_returning_scores_instead_of_labels_fails_with_a_hint(grade):
    result = grade(notebook("import numpy as np\ndef predict(images):\n    return np.zeros((len(images), 10))"))
    assert result.status == "failed" and "argmax" in result.message
    failure = result.feedback["failure"]
    assert failure["mistake"]["key"] == "probabilities"
    # nothing raised, so the page shows where predict is written, its def line marked
    assert failure["cell"] == 1 and [line["code"] for line in failure["source"]["lines"] if line["current"]] == [
        "def predict(images):"]


def test_predict_returning_fractions_is_named_as_such(grade):
    result = grade(notebook("import numpy as np\ndef predict(images):\n    return images.mean(axis=1)"))
    assert result.feedback["failure"]["mistake"]["key"] == "floats"


def test_predict_returning_too_few_labels_is_named_as_a_wrong_length(grade):
    result = grade(notebook("import numpy as np\ndef predict(images):\n    return np.zeros(100, dtype=int)"))
    assert result.feedback["failure"]["mistake"]["key"] == "shape"


def test_reading_the_test_labels_is_named_with_where_it_happened(grade):
    result = grade(notebook(
        "import os\nfrom pathlib import Path",
        "def load_labels():\n    return (Path(os.environ['MNIST_DATA_DIR']) / 't10k-labels-idx1-ubyte').read_bytes()\n"
        "y_test = load_labels()",
    ))
    failure = result.feedback["failure"]
    assert failure["mistake"]["key"] == "test_labels" and "validation" in failure["mistake"]["fix"]
    assert failure["cell"] == 2 and failure["error"].startswith("FileNotFoundError")
    # the student's frame is marked as theirs, with the failing line; the library's (pathlib) is not
    own = [f for f in failure["frames"] if f["own"]]
    assert own and own[-1]["function"].startswith("load_labels") and not failure["frames"][-1]["own"]
    assert any(line["current"] and "read_bytes" in line["code"] for line in own[-1]["code"])
    assert failure["function"].startswith("load_labels") and failure["line"] == 2


def test_a_cell_that_runs_too_long_is_stopped(grade):
    result = grade(notebook("import time\ntime.sleep(60)"), cell_timeout_s=2)
    assert result.status == "failed"
    assert "Cell 1 ran longer than 2 seconds" in result.message
    failure = result.feedback["failure"]
    assert failure["mistake"]["key"] == "cell_time" and "2 s per cell" in failure["mistake"]["fix"]
    assert failure["cell"] == 1 and failure["source"]["lines"][1]["code"] == "time.sleep(60)"


def test_a_kernel_that_dies_is_reported_as_such(grade):
    result = grade(notebook("import os\nos._exit(1)"))
    assert result.status == "failed" and "kernel died while running cell 1" in result.message


def test_the_notebook_sees_none_of_the_sites_environment(grade, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "very-secret-value")
    monkeypatch.setenv("DATABASE_URL", "postgres://secret@db/x")
    result = grade(notebook("import os\nassert 'SECRET_KEY' not in os.environ, 'leak'\n"
                            "assert 'DATABASE_URL' not in os.environ, 'leak'", CONSTANT))
    assert result.status == "graded", result.message


def test_outputs_saved_in_the_upload_never_appear_as_the_graders(grade):
    import nbformat

    nb = nbformat.reads(notebook("x = 1", "1 / 0", "print('never ran')").decode(), as_version=4)
    for cell in nb.cells:
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="from the student's laptop\n")]
    result = grade(nbformat.writes(nb).encode())
    assert result.message == "Cell 2 raised ZeroDivisionError: division by zero"
    assert "from the student's laptop" not in result.notebook and b"from the student's laptop" not in result.html


def test_the_page_shows_how_far_a_notebook_got_when_the_total_limit_stopped_it(grade):
    result = grade(notebook(*[f"import time\ntime.sleep(2)\nprint('cell {i} done')" for i in range(10)]),
                   cell_timeout_s=5, total_timeout_s=8)
    assert result.message == "The notebook did not finish within 8 seconds in total and was stopped."
    assert "The limit is 8 s for the whole notebook" in result.feedback["failure"]["mistake"]["fix"]
    assert b"cell 0 done" in result.html  # the harness kept the total itself, then still rendered the page


def test_the_probe_is_asked_first_and_each_half_in_a_fresh_secret_order():
    import numpy as np

    from grader.pipeline import asking_order
    from grader.scoring import to_bytes
    from grader.data import test_set

    images = test_set()[0][:300]
    order, pixels = asking_order(images, np.random.default_rng(7))
    assert sorted(order[:300]) == list(range(300, 600)) and sorted(order[300:]) == list(range(300))
    assert np.array_equal(pixels[300:], to_bytes(images)[order[300:]])  # the test images, reordered, unchanged
    again, _ = asking_order(images, np.random.default_rng(8))
    assert not np.array_equal(order, again)
