"""The review loop in a real browser against the real stack: a TA builds a rubric with a
comment bank, reviews an essay set and a synthesis set with the keyboard alone, answers an
appeal and grants an extension; the student sees the points per criterion, the
notifications (and their e-mails, sent once by the worker), the answer and the new date."""
import json
import time
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.support.essays import ESSAY
from tests.support.browser import browser_page, log_in, screenshot, wait_until
from tests.support.mail import emails
from tests.support.stack import Stack

pytestmark = pytest.mark.stack

SETUP = r"""
import json, sys
from django.contrib.auth.models import User
from django.utils import timezone
from coursework.models import Answer, Essay, EssayPrompt, EssaySubmission, QuestionSet, SynthesisResponse
student = User.objects.get(username="student")
student.email = "student@example.org"
student.save()
qs = QuestionSet.objects.get(page__slug="video-what-is-a-neural-network")
r = SynthesisResponse.objects.create(student=student, question_set=qs, status="submitted", submitted_at=timezone.now())
for q in qs.questions.all():
    Answer.objects.create(response=r, question=q, text="Each neuron holds a number; the weights say how much it matters.")
e = EssaySubmission.objects.create(student=student, version=1)
for p in EssayPrompt.objects.all()[:3]:
    Essay.objects.create(submission=e, prompt=p, text="## My argument\n\n" + sys.argv[1], meaningful_words=240)
print(json.dumps({"synthesis": r.pk, "essays": e.pk, "questions": qs.questions.count()}))
"""


@pytest.fixture
def mail_stack(tmp_path, redis_target):
    """The real service, whose e-mail goes to files we can count."""
    running = Stack(tmp_path, redis_target, EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
                    EMAIL_FILE_PATH=str(tmp_path / "mail"), SITE_URL="http://basics.test").start()
    yield running
    running.stop()


def review_with_the_keyboard(page, points: list[str], picks: dict[int, str], feedback: str) -> None:
    """Score each criterion in turn, add comments from the banks, write the feedback, save:
    keys only (the first criterion's points box has the focus when the page opens)."""
    keys = page.keyboard
    wait_for_focus_in_the_pane(page)
    for i, value in enumerate(points):
        if i:
            keys.press("j")
            keys.press("e")
        keys.type(value)
        keys.press("Escape")
        if i in picks:
            keys.press(picks[i])
    keys.press("f")
    keys.type(feedback)


def see(page, selector: str, text: str) -> None:
    """`text` shows in `selector`, waiting for a page that is still loading (Playwright retries)."""
    expect(page.locator(selector).first).to_contain_text(text)


def wait_for_focus_in_the_pane(page) -> None:
    """The page has loaded and put the focus in the first criterion's points box: keys typed before that go elsewhere."""
    wait_until(page, "document.activeElement && document.activeElement.classList.contains('points')")


def test_a_ta_closes_the_review_loop_and_the_student_sees_all_of_it(mail_stack, tmp_path):
    ids = json.loads(mail_stack.manage("shell", "-c", f"import sys; sys.argv=['x', {ESSAY!r}]; exec({SETUP!r})")
                     .strip().splitlines()[-1])
    base = mail_stack.base_url
    with browser_page() as ta:
        log_in(ta, base, "ta", "ta-demo-pass")
        ta.click("header >> text=TA dashboard")
        see(ta, "main", "Showing your group: Group A")

        # Build: a new criterion for the essays, with levels and a comment bank, moved up one place.
        ta.click("#rubrics-link")
        ta.click("a[href='/ta/rubrics/essays/']")
        ta.fill("#id_name", "Uses sources")
        ta.fill("#id_max_points", "2")
        ta.fill("#id_description", "Names where its facts come from.")
        ta.click("button[name=add]")
        ta.fill("#id_levels-0-points", "2")
        ta.fill("#id_levels-0-title", "Every claim sourced")
        ta.fill("#id_levels-1-points", "0")
        ta.fill("#id_levels-1-title", "No sources")
        ta.fill("#id_comments-0-text", "Name the study this claim comes from.")
        ta.fill("#id_comments-1-text", "Good use of a named source.")
        ta.click("button[name=save]")
        ta.click("li.criterion-row:has-text('Uses sources') >> button[value=up]")
        expect(ta.locator("li.criterion-row h2").nth(3)).to_contain_text("4. Uses sources")
        expect(ta.locator("li.criterion-row h2").nth(4)).to_contain_text("5. Clarity")
        screenshot(ta, "20-ta-rubric-builder")

        # Review the essays with the keyboard alone.
        ta.goto(base + "/ta/?queue=essays")
        ta.click("text=Start reviewing")
        wait_for_focus_in_the_pane(ta)
        assert ta.locator("h2:has-text('My argument')").count() == 3  # the essays, rendered from Markdown
        review_with_the_keyboard(ta, ["3", "2", "2.5", "1", "2"], {0: "1", 3: "1"},
                                 "A thoughtful set; name your sources in essay 2.")
        screenshot(ta, "21-ta-review-essays-keyboard")
        ta.set_viewport_size({"width": 420, "height": 900})
        screenshot(ta, "22-ta-review-essays-narrow")
        ta.set_viewport_size({"width": 1200, "height": 900})
        ta.keyboard.press("Control+Enter")
        ta.wait_for_url("**/ta/?queue=essays")
        see(ta, "main", "Review saved")

        # The synthesis set: a draft survives a reload, then the keyboard again.
        ta.goto(base + "/ta/?queue=synthesis")
        ta.click("text=Start reviewing")
        wait_for_focus_in_the_pane(ta)
        ta.keyboard.type("2")
        ta.keyboard.press("Escape")
        ta.keyboard.press("2")  # the second comment of the first question's bank
        wait_until(ta, "document.getElementById('draft-state').textContent.startsWith('Draft saved')")
        ta.reload()
        see(ta, "#draft-restored", "had not saved yet")
        first_comment = ta.locator("textarea.comment").first.input_value()
        assert first_comment.startswith("On the right track")
        points = ["1"] * ids["questions"]
        points[0] = ""  # the restored 2 stays: typing nothing into it keeps it
        review_with_the_keyboard(ta, points, {2: "1"}, "Good definitions of weights and biases.")
        assert ta.locator("input.points").first.input_value() == "2"
        screenshot(ta, "23-ta-review-synthesis-keyboard")
        ta.keyboard.press("Control+Enter")
        ta.wait_for_url("**/ta/?queue=synthesis")
        see(ta, "main", "Review saved")

    with browser_page() as student:
        log_in(student, base, "student", "student-demo-pass")
        expect(student.locator("#unread-count")).to_have_text("2")
        student.click("#inbox-link")
        see(student, "main", "Your TA reviewed your essays (version 1): 10.5 of 12 points")
        screenshot(student, "24-student-inbox")
        student.click("text=Your TA reviewed your essays")
        student.wait_for_url("**/essays/")
        see(student, "#review", "Uses sources")
        review = student.inner_text("#review")
        assert "Uses sources" in review and "1 / 2" in review and "Each essay takes its prompt head on." in review
        assert "Name the study this claim comes from." in review  # from the new criterion's bank
        assert "10.5 of 12 points" in review
        # An appeal, with a reason.
        student.click("text=Ask for a second look")
        student.fill("#review textarea[name=reason]", "Essay 3 does name two studies in its second paragraph.")
        student.click("text=Send the appeal")
        see(student, "main", "Appeal sent")
        screenshot(student, "25-student-appeal-sent")

    with browser_page() as ta:
        log_in(ta, base, "ta", "ta-demo-pass")
        expect(ta.locator("#unread-count")).to_have_text("1")  # the TA of the student's group is told
        ta.goto(base + "/ta/?queue=appeals")
        expect(ta.locator("#count-appeals")).to_have_text("1")
        ta.click("text=Answer the first")
        see(ta, "#appeal-reason", "Essay 3 does name two studies")
        ta.check("input[value=unchanged]")
        ta.fill("#id_answer", "I reread it: the studies are named but not used in the argument, so the points stand.")
        screenshot(ta, "26-ta-answers-appeal")
        ta.click("text=Send the answer")
        see(ta, "main", "Answer sent")

        # An extension of the notebook task for the student.
        ta.goto(base + "/ta/")
        ta.click("#extensions-link")
        new_due = (timezone.localtime(timezone.now() + timedelta(days=30))).replace(second=0, microsecond=0)
        ta.select_option("#id_assignment", label="Technical project: a deep network on MNIST")
        ta.fill("#id_student", "student")
        ta.fill("#id_due_at", new_due.strftime("%Y-%m-%dT%H:%M"))
        ta.fill("#id_reason", "Ill for a week")
        ta.click("text=Grant the extension")
        see(ta, "main", "Demo Student now has until")  # the name TAs know, not the username
        screenshot(ta, "27-ta-extensions")

    with browser_page() as student:
        log_in(student, base, "student", "student-demo-pass")
        student.click("header >> text=My progress")
        see(student, "h1", "My progress")
        progress = student.inner_text("main")
        assert new_due.strftime("%-d %b %Y %H:%M") in progress and "extended" in progress
        assert "answered, the result stands" in progress
        essays_row = student.inner_text("tr:has-text('Essays (non-technical project)')")
        assert "10.5 of 12 points" in essays_row
        student.click("tr:has-text('Essays (non-technical project)') >> summary")
        see(student, "tr:has-text('Essays (non-technical project)')", "Uses sources: 1/2")
        screenshot(student, "28-student-progress")
        student.goto(base + "/essays/")
        see(student, "#appeal", "the points stand")
        student.goto(base + "/inbox/")
        see(student, "main", "Your appeal on your essays (version 1) was answered: the result stands")
        screenshot(student, "29-student-appeal-answered")

    # The worker e-mailed each of the three notifications once.
    deadline = time.monotonic() + 60
    while len(emails(tmp_path / "mail")) < 3 and time.monotonic() < deadline:
        time.sleep(0.5)
    time.sleep(2)  # anything sent twice would arrive now
    sent = emails(tmp_path / "mail")
    assert sorted(str(m["Subject"]).strip().split(":")[0] for m in sent) == [
        "[Basics] Your TA reviewed your answers on “Video 2",
        "[Basics] Your TA reviewed your essays (version 1)",
        "[Basics] Your appeal on your essays (version 1) was answered"]
    assert len({m["Message-ID"] for m in sent}) == 3 and all(m["To"] == "student@example.org" for m in sent)
    assert all("http://basics.test/" in m.get_content() for m in sent)
