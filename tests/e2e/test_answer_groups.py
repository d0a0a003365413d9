"""A TA grades a synthesis question by groups of similar answers, in a real browser against
the real stack: near-duplicates of the right answer come as one group, graded at once with the
rubric's levels; then one member is adjusted alone, and a wrong answer was never in the group."""
import pytest
from playwright.sync_api import expect

from tests.support.browser import browser_page, log_in, screenshot
from tests.support.course import Section

pytestmark = pytest.mark.stack

RIGHT = ["10 neurons, one per digit", "10 neurons, one per digit.", "10 neurons - one per digit!",
         "I think 10 neurons, one per digit"]
WRONG = ["It has 2 neurons", "784 neurons"]


def test_a_ta_grades_a_group_of_similar_answers_at_once_then_adjusts_one(own_stack):
    # A stack of its own: a question's groups are made of every answer to it, site-wide.
    stack, section = own_stack, Section.create(own_stack)
    made = section.synthesis_answers("video-what-is-a-neural-network", "What does the last layer", RIGHT + WRONG)
    right_ids, wrong_ids = made["answers"][:len(RIGHT)], made["answers"][len(RIGHT):]

    with browser_page(viewport=(1280, 900)) as page:
        log_in(page, stack.base_url, section.ta.username, section.ta.password)
        page.goto(stack.base_url + "/ta/")
        page.click("#answer-groups-link")
        with page.expect_navigation():
            page.click(f"a[href='/ta/answers/{made['question']}/']")

        group = page.locator("section.answer-group").first
        expect(group.locator("h2")).to_have_text(f"Group 1: {len(RIGHT)} answers")
        # Four wordings, each with a ticked box: together they are the group's members.
        picks = group.locator("input[type=checkbox][name=answers]")
        expect(picks).to_have_count(len(RIGHT))
        grouped = sorted(int(pk) for i in range(len(RIGHT)) for pk in picks.nth(i).get_attribute("value").split(","))
        assert grouped == sorted(right_ids), "the group is the right answer's near-duplicates, no wrong answer"
        expect(group).not_to_contain_text("Answerer")  # the synthesis task reviews anonymously

        group.get_by_label("2 · Complete and correct").check()
        group.get_by_label("Comment for each student").fill("Ten outputs, one per digit: right.")
        with page.expect_navigation():
            group.get_by_role("button", name="Grade the answers with a ticked wording").click()
        expect(page.locator(".messages")).to_contain_text(f"{len(RIGHT)} answers graded")

        # A group of five or fewer shows its members open.
        for pk in right_ids:
            expect(page.locator(f"#answer-{pk} .member-points")).to_have_text("2")
        for pk in wrong_ids:
            expect(page.locator(f"#answer-{pk} .member-points")).to_have_text("–")

        # One member's answer deserves less: adjusted alone, the others keep the group's points.
        adjusted = right_ids[2]
        page.fill(f"#adjust-{adjusted}", "1")
        with page.expect_navigation():
            page.locator(f"#answer-{adjusted} button").click()
        expect(page.locator(".messages")).to_contain_text("1 answer graded")
        expect(page.locator(f"#answer-{adjusted} .member-points")).to_have_text("1")
        for pk in right_ids:
            if pk != adjusted:
                expect(page.locator(f"#answer-{pk} .member-points")).to_have_text("2")
        screenshot(page, "answer-groups")

        # The same again (a second click, a reload that posts twice) changes nothing without "replace".
        page.goto(stack.base_url + f"/ta/answers/{made['question']}/")
        group = page.locator("section.answer-group").first
        group.get_by_label("2 · Complete and correct").check()
        with page.expect_navigation():
            group.get_by_role("button", name="Grade the answers with a ticked wording").click()
        expect(page.locator(".messages")).to_contain_text(f"{len(RIGHT)} answers were already graded")
        expect(page.locator(f"#answer-{adjusted} .member-points")).to_have_text("1")

    # Every grade given is audited, the adjustment included: the four of the group and the one adjusted.
    audited = stack.manage("shell", "-c", "from coursework.models import AuditEvent; print(AuditEvent.objects.filter("
                                          f"action='group_grade', actor__username={section.ta.username!r}).count())")
    assert int(audited.strip().splitlines()[-1]) == len(RIGHT) + 1
