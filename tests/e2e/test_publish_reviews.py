"""Publishing reviews, in real browsers against the real stack: on a task that holds its
reviews, a TA's saved review does not reach the student (the page says "being reviewed",
no score, no comment, nothing in the inbox) until a TA publishes; then it does. The TA's
anonymous review page shows the student's name nowhere, not even after its scripts ran."""
import pytest
from playwright.sync_api import expect

from coursework.models import Assignment

from tests.support.browser import browser_page, log_in
from tests.support.course import Section

pytestmark = pytest.mark.stack

COMMENT = "Essay two needs its second study cited properly."


def shows(writer, text: str) -> bool:
    return any(word.lower() in text.lower() for word in (writer.display_name, writer.username))


def test_a_held_review_reaches_the_student_only_when_a_ta_publishes_it(own_stack):
    # A stack of its own: holding reviews and reviewing anonymously are the essays task's
    # settings, for every student, and the publish button counts every held review.
    section = Section.create(own_stack)
    [essays] = section.essay_sets(1, publish_reviews=Assignment.WHEN_PUBLISHED, anonymous_review=True)
    writer, essays = essays.writer, essays.pk
    base = own_stack.base_url

    with browser_page() as ta:
        student = ta.context.browser.new_context(viewport={"width": 1200, "height": 900}).new_page()
        student.set_default_timeout(20_000)
        log_in(ta, base, section.ta.username, section.ta.password)
        log_in(student, base, writer.username, writer.password)

        # The TA reviews the essays on an anonymous page: no name in the DOM the scripts leave.
        ta.goto(base + f"/ta/essays/{essays}/?group=all")
        expect(ta.locator("#save-review")).to_be_visible()
        assert not shows(writer, ta.content()) and not shows(writer, ta.title())
        for box in ta.locator("input.points").all():
            box.fill("1")
        ta.fill("#feedback", COMMENT)
        ta.click("#save-review")
        ta.wait_for_load_state()
        assert not shows(writer, ta.content())

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
