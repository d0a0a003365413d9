"""The PyTorch variant on real processes: the page names torch, the solution is uploaded there,
the worker grades it in the pytorch kernel environment, and its accuracy is on the page."""
import re
from pathlib import Path

import pytest

from tests.support import environments
from tests.support.stack import Browser

pytestmark = [pytest.mark.stack, environments.needs("pytorch")]
SOLUTION = Path(__file__).resolve().parents[2] / "assignments" / "mnist_pytorch_solution.ipynb"


def test_the_pytorch_solution_uploaded_on_its_page_is_graded_with_torch_and_shows_its_accuracy(section):
    browser = Browser(section.stack)
    browser.login(section.student.username, section.student.password)
    page = browser.http.get(browser.url("/assignments/mnist-pytorch/"), timeout=10).text
    assert "<code>torch</code>" in page

    response = browser.upload("mnist-pytorch", "mnist_pytorch_solution.ipynb", SOLUTION.read_bytes())

    match = re.search(r"/submissions/(\d+)/$", response.url)
    assert response.status_code == 200 and match, response.url
    fragment = browser.final_status(f"/submissions/{match.group(1)}/status/", timeout_s=600)
    assert ">graded<" in fragment, fragment
    shown = [float(p) for p in re.findall(r"(\d{2}\.\d{2})%", fragment)]
    assert shown and max(shown) >= 97.0, fragment  # the public half's accuracy, before the reveal
