"""The grading run on real kernels (no Celery): what students see for each kind of notebook."""
import pytest

from grader.pipeline import grade_notebook_bytes
from tests.support.notebooks import nearest_mean_notebook, notebook


@pytest.fixture
def grade(tmp_path, settings):
    settings.GRADER_WORK_ROOT = tmp_path

    def run(data: bytes, **limits):
        for name, value in limits.items():
            setattr(settings, name, value)
        return grade_notebook_bytes(data, tmp_path / "work")

    return run


def test_a_nearest_mean_classifier_scores_about_82_percent(grade):
    result = grade(nearest_mean_notebook())
    assert result.status == "graded"
    assert 0.80 < result.accuracy < 0.84
    assert result.run_seconds > 0 and result.peak_memory_mb > 0


def test_a_cell_that_raises_fails_naming_the_cell_and_the_error(grade):
    result = grade(notebook("x = 1", "1 / 0"))
    assert result.status == "failed"
    assert result.message == "Cell 2 raised ZeroDivisionError: division by zero"


def test_a_notebook_without_predict_fails_saying_so(grade):
    result = grade(notebook("x = 1"))
    assert result.status == "failed"
    assert "does not define a function predict(images)" in result.message


def test_predict_returning_the_wrong_shape_fails_with_the_shape(grade):
    result = grade(notebook("import numpy as np\ndef predict(images):\n    return np.zeros((len(images), 10))"))
    assert result.status == "failed"
    assert "argmax" in result.message


def test_a_cell_that_runs_too_long_is_stopped(grade):
    result = grade(notebook("import time\ntime.sleep(60)"), GRADER_CELL_TIMEOUT_S=2)
    assert result.status == "failed"
    assert "Cell 1 ran longer than 2 seconds" in result.message


def test_a_kernel_that_dies_is_reported_as_such(grade):
    result = grade(notebook("import os\nos._exit(1)"))
    assert result.status == "failed"
    assert "kernel died" in result.message


def test_the_notebook_cannot_see_the_sites_secrets(grade, settings, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "very-secret-value")
    result = grade(notebook("import os\nassert 'SECRET_KEY' not in os.environ, 'leak'\nassert 'DATABASE_URL' not in os.environ"
                            "\ndef predict(images):\n    return [0] * len(images)"))
    assert result.status == "graded", result.message
