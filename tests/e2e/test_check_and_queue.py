"""Before and while grading, in a real browser against the real stack: a student checks a
notebook without using an upload, and watches their place in the queue fall while two
other students' notebooks are graded by a real worker."""
import re
from pathlib import Path

import pytest

from tests.support.browser import browser_page, log_in, screenshot
from tests.support.notebooks import LOAD_MNIST, NEAREST_MEAN, nearest_mean_notebook, notebook
from tests.support.stack import Stack

pytestmark = pytest.mark.stack

TEMPLATE = Path(__file__).resolve().parents[2] / "assignments" / "mnist_template.ipynb"
# Long enough that a page polling every two seconds sees each run go by, the student's own
# included: a run that ends between two polls would skip "Being graded" on the page.
SLOW_NEAREST_MEAN = notebook(LOAD_MNIST, NEAREST_MEAN, "import time\ntime.sleep(8)")


@pytest.fixture
def stack_without_worker(tmp_path, redis_target):
    """The service with its web process only, of this test's own: the queue (every queued run) fills
    until the test starts a worker."""
    stack = Stack(tmp_path, redis_target)
    try:
        stack.migrate_and_seed()
        stack.start_web()
        yield stack
    finally:
        stack.stop()


def uploads_left(page) -> str:
    return re.search(r"(\d+) of (\d+) uploads left today", page.inner_text("#uploads-left")).group(0)


def test_a_student_checks_a_notebook_sees_what_would_fail_and_keeps_every_upload(section, tmp_path):
    stack = section.stack
    template, working = tmp_path / "mnist_template.ipynb", tmp_path / "nearest_mean.ipynb"
    template.write_bytes(TEMPLATE.read_bytes())
    working.write_bytes(nearest_mean_notebook())
    with browser_page(viewport=(1280, 900)) as page:
        log_in(page, stack.base_url, section.student.username, section.student.password)
        page.goto(stack.base_url + "/assignments/mnist/")
        before = uploads_left(page)
        checks_before = int(re.search(r"(\d+) of \d+ checks left", page.inner_text("#checks-left")).group(1))

        # The unchanged template: the check says what a graded upload would meet.
        page.set_input_files("input[type=file]", str(template))
        page.click("#check-button")
        page.wait_for_selector("#status-value:has-text('failed')", timeout=180_000)
        assert "A graded upload of this notebook would fail" in page.inner_text("#check-result")
        assert "raised NotImplementedError" in page.inner_text("#failure-message")
        assert "used none of your graded uploads" in page.inner_text("#check-result")
        screenshot(page, "30-check-template-fails")

        # A notebook that keeps the contract passes, and nothing of it was scored on the test set.
        page.goto(stack.base_url + "/assignments/mnist/")
        page.set_input_files("input[type=file]", str(working))
        page.click("#check-button")
        page.wait_for_selector("#status-value:has-text('passed')", timeout=180_000)
        sample = page.inner_text("#check-sample")
        right = int(re.search(r"it named (\d+) correctly", sample).group(1))
        assert 60 <= right <= 100
        assert "Test accuracy" not in page.inner_text("main")
        page.wait_for_selector("iframe.notebook")  # the page reloads once the check ends
        screenshot(page, "31-check-passes")
        page.frame_locator("iframe.notebook").locator("text=def predict").first.wait_for()

        page.goto(stack.base_url + "/assignments/mnist/")
        assert uploads_left(page) == before
        assert f"{checks_before - 2} of" in page.inner_text("#checks-left")
        assert "No attempts yet." in page.inner_text("section:has(h2:text('Your attempts')) table")
        assert page.locator("#checks tbody tr").count() == 2
    with browser_page(viewport=(390, 844)) as phone:
        log_in(phone, stack.base_url, section.student.username, section.student.password)
        phone.goto(stack.base_url + "/assignments/mnist/")
        screenshot(phone, "32-assignment-with-checks-phone")


def test_a_student_watches_their_place_in_the_queue_fall_while_two_other_notebooks_grade(stack_without_worker,
                                                                                       tmp_path):
    stack = stack_without_worker
    stack.manage("shell", "-c", "from django.contrib.auth.models import User\n"
                                "for name in ('grace', 'alan'): User.objects.create_user(name, password='pw-12345678')")
    others = stack.submit(1, SLOW_NEAREST_MEAN, "grace") + stack.submit(1, SLOW_NEAREST_MEAN, "alan")
    mine = tmp_path / "nearest_mean.ipynb"
    mine.write_bytes(SLOW_NEAREST_MEAN)
    with browser_page(viewport=(1280, 900)) as page:
        log_in(page, stack.base_url, "student", "student-demo-pass")
        page.goto(stack.base_url + "/assignments/mnist/")
        page.set_input_files("input[type=file]", str(mine))
        page.click("button.primary")
        page.wait_for_selector("#queue-position[data-position='3']")
        assert "2 runs before yours" in page.inner_text("#queue-place")
        assert "Waiting for" in page.inner_text("#queue-place")
        screenshot(page, "33-queue-place-3")

        stack.start_worker()
        seen = []
        for place in ("2", "1"):  # the page polls by itself: no reload
            page.wait_for_selector(f"#queue-position[data-position='{place}']", timeout=180_000)
            seen.append(page.inner_text("#queue-place"))
        assert "yours is next" in seen[-1]
        # The first run finished: its time is now the estimate's median.
        assert re.search(r"Recent runs took .+ each \(the median\), so expect the result in about", seen[-1])
        page.wait_for_selector("#queue-place:has-text('Being graded for')", timeout=180_000)
        screenshot(page, "34-being-graded")
        page.wait_for_selector("#status-value:has-text('graded')", timeout=180_000)
        assert re.search(r"8[12]\.\d\d%", page.inner_text("#accuracy-value"))
    assert sorted(stack.statuses().values()) == ["graded"] * 3
    assert set(others) < set(stack.statuses())
