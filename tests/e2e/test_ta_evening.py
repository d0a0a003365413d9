"""A TA's evening in a real browser against the real stack, and what the student then sees."""
import json
import re
import time

import pytest
from django.conf import settings
from playwright.sync_api import expect

from reference_nn.reference import load_mnist
from tests.support.essays import ESSAY
from tests.support.browser import browser_page, log_in, screenshot
from tests.support.notebooks import label_table_notebook, notebook

pytestmark = pytest.mark.stack

SETUP = r"""
import json, sys
from django.contrib.auth.models import User
from coursework.models import Assignment, Essay, EssayPrompt, EssaySubmission, Profile, QuestionSet, SynthesisResponse, Answer
from coursework.services.notebooks import submit_notebook
student = User.objects.get(username=sys.argv[4])
# The rubrics are the suggested ones seed_demo created.
qs = QuestionSet.objects.get(page__slug="video-what-is-a-neural-network")
from django.utils import timezone
r = SynthesisResponse.objects.create(student=student, question_set=qs, status="submitted", submitted_at=timezone.now())
for q in qs.questions.all():
    Answer.objects.create(response=r, question=q, text="An answer with a because.")
e = EssaySubmission.objects.create(student=student, version=1)
for p in EssayPrompt.objects.all()[:3]:
    Essay.objects.create(submission=e, prompt=p, text=sys.argv[1], meaningful_words=240)
mnist = Assignment.objects.get(slug="mnist")
failed = submit_notebook(student, mnist, "broken.ipynb", open(sys.argv[2], "rb").read())
flagged = submit_notebook(student, mnist, "lookup.ipynb", open(sys.argv[3], "rb").read())
print(json.dumps({"failed": failed.pk, "flagged": flagged.pk}))
"""


def wait_until_finished(stack, *ids, timeout=180):
    deadline = time.monotonic() + timeout
    query = f"from coursework.models import Submission as S; print(list(S.objects.filter(pk__in={list(ids)!r}, status__in=['queued','running']).values_list('pk', flat=True)))"
    while time.monotonic() < deadline:
        if stack.manage("shell", "-c", query).strip().endswith("[]"):
            return
        time.sleep(1)
    raise AssertionError("grading did not finish: " + stack.log("worker"))


def test_a_ta_clears_the_queues_and_the_student_sees_the_feedback(section, tmp_path):
    # The dashboard counts the TA's own group, which holds this test's student alone.
    stack, student, ta = section.stack, section.student, section.ta
    broken = tmp_path / "broken.ipynb"
    broken.write_bytes(notebook("raise ValueError('my bug')"))
    lookup = tmp_path / "lookup.ipynb"
    lookup.write_bytes(label_table_notebook(*load_mnist(settings.MNIST_DATA_DIR)[2:]))
    script = tmp_path / "setup.py"
    script.write_text(SETUP)
    ids = json.loads(stack.manage("shell", "-c", f"import sys; sys.argv=['x', {ESSAY!r}, {str(broken)!r}, {str(lookup)!r}, {student.username!r}]; exec(open({str(script)!r}).read())").strip().splitlines()[-1])
    wait_until_finished(stack, ids["failed"], ids["flagged"])

    with browser_page() as page:
        base = stack.base_url
        log_in(page, base, ta.username, ta.password)
        page.click("header >> text=TA dashboard")
        assert page.inner_text("#count-synthesis") == "1" and page.inner_text("#count-essays") == "1"
        assert page.inner_text("#count-notebooks") == "2"
        screenshot(page, "10-ta-dashboard")

        # Essays, with the rubric.
        page.click("nav.tabs >> text=Essays")
        page.click("text=Start reviewing")
        points = page.locator("input.points")
        for i in range(points.count()):
            points.nth(i).fill({0: "3", 1: "1.5"}.get(i, "0"))
        page.fill("#feedback", "Thoughtful essays; cite one source next time.")
        screenshot(page, "11-ta-review-essays")
        page.click("button[name=save]")
        expect(page.locator("main")).to_contain_text("Review saved")

        # Synthesis answers.
        page.goto(base + "/ta/?queue=synthesis")
        page.click("text=Start reviewing")
        points = page.locator("input.points")
        for i in range(points.count()):
            points.nth(i).fill("1")
        page.fill("#feedback", "Good definitions of weights and biases.")
        page.click("button[name=save]")
        expect(page.locator("main")).to_contain_text("Review saved")

        # The failed notebook: read its log, regrade it.
        page.goto(base + "/ta/?queue=notebooks&status=failed")
        page.click(f"a[href^='/ta/notebooks/{ids['failed']}/']")  # by number: the review is anonymous
        expect(page.locator("main")).to_contain_text("Cell 1 raised ValueError: my bug")
        page.click("button[value=regrade]")
        expect(page.locator("main")).to_contain_text("Queued for regrading")
        screenshot(page, "12-ta-notebook-failed")

        # The flagged notebook: see why, uphold the flag.
        page.goto(base + "/ta/?queue=notebooks&status=flagged")
        page.click(f"a[href^='/ta/notebooks/{ids['flagged']}/']")
        expect(page.locator("main")).to_contain_text("Integrity probe")
        screenshot(page, "13-ta-notebook-flagged")
        page.click("button[value=upheld]")
        expect(page.locator("main")).to_contain_text("does not count")

        # The gradebook.
        page.goto(base + "/ta/")
        with page.expect_download() as download:
            page.click("text=Download the gradebook (CSV)")
        csv_text = open(download.value.path()).read()
        assert csv_text.splitlines()[0].startswith("username,email,display_name,group")
        assert re.search(rf"^{re.escape(student.username)},.*,reviewed,4\.5,", csv_text, re.M)

    wait_until_finished(stack, ids["failed"])
    with browser_page() as page:
        log_in(page, stack.base_url, student.username, student.password)
        page.goto(stack.base_url + "/essays/")
        expect(page.locator("main")).to_contain_text("Thoughtful essays; cite one source next time.")
        screenshot(page, "14-student-sees-essay-review")
        page.goto(stack.base_url + "/synthesis/video-what-is-a-neural-network/")
        expect(page.locator("main")).to_contain_text("Good definitions of weights and biases.")
        page.goto(stack.base_url + "/leaderboard/")
        expect(page.locator("main")).to_contain_text("baseline")
        screenshot(page, "15-leaderboard")
