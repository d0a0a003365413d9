"""Publishing reviews, in real browsers against the real stack: on a task that holds its
reviews, a TA's saved review does not reach the student (the page says "being reviewed",
no score, no comment, nothing in the inbox) until a TA publishes; then it does. The TA's
anonymous review page shows the student's name nowhere, not even after its scripts ran."""
import json

import pytest
from playwright.sync_api import expect

from tests.support.browser import browser_page, log_in
from tests.support.essays import ESSAY

pytestmark = pytest.mark.stack

NAME, USERNAME, PASSWORD = "Zephyrine Quillfeather", "zquill99", "zquill-pass-123"
COMMENT = "Essay two needs its second study cited properly."

SETUP = r"""
import json, sys
from django.contrib.auth.models import User
from coursework.models import Assignment, Essay, EssayPrompt, EssaySubmission, Profile, StudyGroup
task = Assignment.objects.get(slug="essays")
task.publish_reviews = Assignment.WHEN_PUBLISHED
task.anonymous_review = True
task.save()
writer = User.objects.create_user(sys.argv[2], password=sys.argv[3], email="zq@example.org")
Profile.objects.create(user=writer, display_name=sys.argv[4], leaderboard_alias="quill",
                       group=StudyGroup.objects.get(name="Group A"))
essays = EssaySubmission.objects.create(student=writer, version=1)
for prompt in EssayPrompt.objects.all()[:3]:
    Essay.objects.create(submission=essays, prompt=prompt, text=sys.argv[1], meaningful_words=240)
print(json.dumps(essays.pk))
"""


def shows_the_student(text: str) -> bool:
    return any(word.lower() in text.lower() for word in (NAME, "Zephyrine", "Quillfeather", USERNAME))


def test_a_held_review_reaches_the_student_only_when_a_ta_publishes_it(stack, tmp_path):
    script = tmp_path / "setup.py"
    script.write_text(SETUP)
    out = stack.manage("shell", "-c", f"import sys; sys.argv=['x', {ESSAY!r}, {USERNAME!r}, {PASSWORD!r}, {NAME!r}]; "
                                      f"exec(open({str(script)!r}).read())")
    essays = json.loads(out.strip().splitlines()[-1])
    base = stack.base_url

    with browser_page() as ta:
        student = ta.context.browser.new_context(viewport={"width": 1200, "height": 900}).new_page()
        student.set_default_timeout(20_000)
        log_in(ta, base, "ta", "ta-demo-pass")
        log_in(student, base, USERNAME, PASSWORD)

        # The TA reviews the essays on an anonymous page: no name in the DOM the scripts leave.
        ta.goto(base + f"/ta/essays/{essays}/?group=all")
        expect(ta.locator("#save-review")).to_be_visible()
        assert not shows_the_student(ta.content()) and not shows_the_student(ta.title())
        for box in ta.locator("input.points").all():
            box.fill("1")
        ta.fill("#feedback", COMMENT)
        ta.click("#save-review")
        ta.wait_for_load_state()
        assert not shows_the_student(ta.content())

        # Saved, and held: the student sees the work as being reviewed, and nothing else.
        student.goto(base + "/essays/")
        expect(student.locator("p.state .status")).to_have_text("being reviewed")
        expect(student.locator("#review")).to_have_count(0)
        assert COMMENT not in student.content()
        student.goto(base + "/progress/")
        expect(student.locator("table.progress")).to_contain_text("being reviewed")
        assert COMMENT not in student.content()
        student.goto(base + "/inbox/")
        assert "Your TA reviewed" not in student.locator("main").inner_text()

        # The TA's task page says how many reviews publishing releases, then releases them.
        ta.goto(base + "/ta/assignments/essays/publish/")
        expect(ta.locator("#publish-button")).to_have_text("Publish 1 review")
        ta.click("#publish-button")
        expect(ta.locator("#held-count")).to_contain_text("No reviews are waiting")

        student.goto(base + "/essays/")
        expect(student.locator("#review")).to_contain_text(COMMENT)
        expect(student.locator("#review .total")).to_contain_text("Total:")
        student.goto(base + "/inbox/")
        expect(student.locator("main")).to_contain_text("Your TA reviewed your essays")
