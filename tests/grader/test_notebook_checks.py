"""The check on real kernels in the real sandbox: the contract, on held-out
training images, never the test set, in the same words a graded run would use."""
import shutil
import uuid
from pathlib import Path

import numpy as np
import pytest
from django.conf import settings

from grader import pipeline
from grader.data import HELD_OUT, training_sample
from grader.limits import Limits
from reference_nn.idx import load_images, load_labels
from tests.support.processes import sandbox_processes
from tests.support.notebooks import nearest_mean_notebook, notebook

TEMPLATE = Path(__file__).resolve().parents[2] / "assignments" / "mnist_template.ipynb"


@pytest.fixture
def check():
    job_dirs = []

    def run(data: bytes, sample_size: int = 100, **limits):
        job_dir = Path(settings.GRADER_WORK_ROOT) / f"test-{uuid.uuid4().hex}"
        job_dirs.append(job_dir)
        return pipeline.check_notebook_bytes(data, job_dir, Limits.from_settings(limits), sample_size=sample_size)

    yield run
    for job_dir in job_dirs:
        shutil.rmtree(job_dir, ignore_errors=True)
    assert sandbox_processes() == [], "a sandboxed process outlived its run"


def test_the_sample_is_held_out_training_images_with_every_digit_and_their_true_labels():
    images, labels = training_sample(100)
    data = Path(settings.MNIST_DATA_DIR)
    train_images = load_images(data / "train-images-idx3-ubyte")
    train_labels = load_labels(data / "train-labels-idx1-ubyte")
    held_out = train_images[-HELD_OUT:]
    assert images.shape == (100, 784) and images.dtype == np.float32
    assert np.bincount(labels, minlength=10).tolist() == [10] * 10
    for image, label in zip(images, labels):
        match = np.flatnonzero((held_out == image).all(axis=1))
        assert len(match) and train_labels[len(train_labels) - HELD_OUT + match[0]] == label
    test_images = load_images(data / "t10k-images-idx3-ubyte")
    assert not any((test_images == image).all(axis=1).any() for image in images[:10])


def test_a_working_notebook_passes_and_reports_how_the_sample_came_out_without_a_test_score(check):
    result = check(nearest_mean_notebook())

    assert result.status == "graded", result.message
    assert result.accuracy is None and result.public_accuracy is None and "confusion" not in result.feedback
    sample = result.feedback["check"]
    assert sample["passed"] and sample["sample_size"] == 100
    assert 60 <= sample["correct"] <= 100  # the nearest-mean classifier gets most digits right
    assert "No test image was scored" in result.message
    assert result.run_seconds > 0 and result.html


def test_the_unchanged_template_fails_the_check_the_way_a_graded_upload_would(check, grade):
    checked = check(TEMPLATE.read_bytes())
    graded = grade(TEMPLATE.read_bytes())

    assert checked.status == graded.status == "failed"
    assert checked.message == graded.message
    assert "NotImplementedError" in checked.message
    assert checked.feedback["check"] == {"sample_size": 100, "passed": False}
    # The template's own self-check cell ran in the sandbox too, said the same, and stopped nothing.
    assert "Not ready yet: predict(images) is not written yet" in checked.notebook


def test_predict_returning_scores_fails_the_check_with_the_same_hint(check):
    result = check(notebook("import numpy as np\ndef predict(images):\n    return np.zeros((len(images), 10))"))
    assert result.status == "failed"
    assert "argmax" in result.message and "shape (100, 10)" in result.message


def test_a_notebook_that_runs_too_long_fails_the_check_naming_the_limit(check):
    result = check(notebook("import time\ntime.sleep(60)"), cell_timeout_s=2)
    assert result.status == "failed" and "Cell 1 ran longer than 2 seconds" in result.message
