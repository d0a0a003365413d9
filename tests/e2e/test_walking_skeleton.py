"""The whole path on real processes: HTTP upload -> Redis -> Celery worker -> kernel -> page."""
import re
from pathlib import Path

import numpy as np
import pytest
from django.conf import settings

from reference_nn.idx import load_images, load_labels
from tests.support.notebooks import nearest_mean_notebook
from tests.support.stack import Browser

pytestmark = pytest.mark.stack


def nearest_mean_accuracy(public_half: bool = False) -> float:
    """The same classifier computed here, independently of the service (on the public half
    of the test set alone, which is all a student sees before the reveal, if asked)."""
    data = Path(settings.MNIST_DATA_DIR)
    x = load_images(data / "train-images-idx3-ubyte")
    y = load_labels(data / "train-labels-idx1-ubyte")
    means = np.stack([x[y == k].mean(axis=0) for k in range(10)])
    tx = load_images(data / "t10k-images-idx3-ubyte")
    ty = load_labels(data / "t10k-labels-idx1-ubyte")
    distances = (tx**2).sum(1)[:, None] - 2 * tx @ means.T + (means**2).sum(1)[None, :]
    right = distances.argmin(1) == ty
    if public_half:
        from grader.scoring import halves

        right = right[halves(len(ty))[0]]
    return float(right.mean())


def test_a_student_uploads_a_notebook_and_sees_its_real_accuracy(section):
    browser = Browser(section.stack)
    browser.login(section.student.username, section.student.password)

    response = browser.upload("mnist", "nearest_mean.ipynb", nearest_mean_notebook())

    assert response.status_code == 200
    match = re.search(r"/submissions/(\d+)/$", response.url)
    assert match, f"upload did not land on a submission page: {response.url}"
    assert "queued" in response.text or "running" in response.text or "graded" in response.text
    fragment = browser.final_status(f"/submissions/{match.group(1)}/status/")
    assert ">graded<" in fragment, fragment
    assert 0.80 < nearest_mean_accuracy() < 0.84  # the classifier really is the ~82% one
    expected = nearest_mean_accuracy(public_half=True)  # before the reveal, the public half's figure
    assert f"{expected * 100:.2f}%" in fragment
    page = browser.http.get(response.url, timeout=10).text
    assert f"{expected * 100:.2f}%" in page


def test_a_notebook_that_raises_ends_failed_with_the_error_shown(section):
    from tests.support.notebooks import notebook

    browser = Browser(section.stack)
    browser.login(section.student.username, section.student.password)
    response = browser.upload("mnist", "broken.ipynb", notebook("x = 1", "raise ValueError('my bug')"))
    submission_id = re.search(r"/submissions/(\d+)/$", response.url).group(1)

    fragment = browser.final_status(f"/submissions/{submission_id}/status/")

    assert ">failed<" in fragment
    assert "Cell 2 raised ValueError: my bug" in fragment
