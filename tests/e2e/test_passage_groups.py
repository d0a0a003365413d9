"""A TA grades a recurring essay passage once, in a real browser against the real stack: the
near-duplicates of one passage come as one group (a variant differing in a negation is not in
it), graded at once with a level of the essays' rubric, one wording left out by the TA; each
essay set's review page then shows the grade, where the TA can change it."""
import json

import pytest
from playwright.sync_api import expect

from tests.support.browser import browser_page, log_in, screenshot
from tests.support.course import Section
from tests.support.passage_population import FAMILIES

pytestmark = pytest.mark.stack

PASSAGE, _, _, DECISIVE = FAMILIES["neurons"]["dendrites"]
RECURRING = [PASSAGE, PASSAGE.lower(), "I think " + PASSAGE[0].lower() + PASSAGE[1:], PASSAGE.replace(",", "")]
APART = [DECISIVE]

SETUP = r"""
import json, random, sys
from django.contrib.auth.models import User
from coursework.models import Essay, EssayPrompt, EssaySubmission, Profile
from tests.support.passage_population import own_paragraph
texts = json.loads(sys.argv[1])
prompt = EssayPrompt.objects.get(order=3)
rng = random.Random(5)
sets = []
for i, text in enumerate(texts):
    student = User.objects.create_user(f"essayist{i}", password="x-essayist-pass")
    Profile.objects.create(user=student, display_name=f"Essayist {i}", leaderboard_alias=f"essayist-{i}")
    submission = EssaySubmission.objects.create(student=student, version=1)
    for other in EssayPrompt.objects.exclude(pk=prompt.pk)[:2]:
        Essay.objects.create(submission=submission, prompt=other, text=own_paragraph(rng), meaningful_words=240)
    Essay.objects.create(submission=submission, prompt=prompt, text=own_paragraph(rng) + "\n\n" + text,
                         meaningful_words=240)
    sets.append(submission.pk)
print(json.dumps({"prompt": prompt.pk, "sets": sets}))
"""


def test_a_ta_grades_a_recurring_passage_once_and_each_essay_set_shows_the_grade(own_stack, tmp_path):
    # A stack of its own: a prompt's groups are made of every essay on it, site-wide.
    stack, section = own_stack, Section.create(own_stack)
    script = tmp_path / "setup.py"
    script.write_text(SETUP)
    out = stack.manage("shell", "-c", f"import sys; sys.argv=['x', {json.dumps(RECURRING + APART)!r}]; "
                                      f"exec(open({str(script)!r}).read())")
    made = json.loads(out.strip().splitlines()[-1])
    grouped, apart = made["sets"][:len(RECURRING)], made["sets"][len(RECURRING):]

    with browser_page(viewport=(1280, 900)) as page:
        log_in(page, stack.base_url, section.ta.username, section.ta.password)
        page.goto(stack.base_url + "/ta/?queue=essays&group=all")
        with page.expect_navigation():
            page.click("#essay-passages-link")
        with page.expect_navigation():
            page.click(f"a[href='/ta/passages/{made['prompt']}/']")

        group = page.locator("section.passage-group").first
        expect(group.locator("h2")).to_have_text(f"Group 1: {len(RECURRING)} essays")
        for pk in grouped:
            expect(group.locator(f"a[href='/ta/essays/{pk}/']").first).to_be_visible()
        for pk in apart:
            expect(page.locator(f"a[href='/ta/essays/{pk}/']")).to_have_count(0)  # the negated variant recurs nowhere
        expect(group).not_to_contain_text("Essayist")  # the essays are reviewed anonymously

        # The first scored criterion of the suggested rubric: "Addresses the chosen prompts", 0 to 3.
        group.get_by_label("2 · One essay drifts").check()
        group.get_by_label("Comment for each student").fill("This paragraph restates the textbook; say what you think.")
        # Every wording is ticked; the TA leaves the last one out (its checkbox sits outside the form).
        picks = group.locator("input[type=checkbox][name=passages]")
        expect(picks).to_have_count(len(RECURRING))
        for i in range(len(RECURRING)):
            expect(picks.nth(i)).to_be_checked()
        left_out = group.locator("ol.group-texts > li").filter(has_text=RECURRING[-1])
        left_out.get_by_label("Grade the essay with this wording").uncheck()
        with page.expect_navigation():
            group.get_by_role("button", name="Grade the essays with a ticked wording").click()
        expect(page.locator(".messages")).to_contain_text(f"{len(RECURRING) - 1} essays graded")
        expect(group.locator(".group-tally")).to_contain_text(f"2 points ×{len(RECURRING) - 1}, not graded ×1")
        screenshot(page, "passage-groups")

        # Each essay set's own review shows the grade in its form, with the passage it came from.
        page.goto(stack.base_url + f"/ta/essays/{grouped[1]}/")
        expect(page.locator("#passage-grades")).to_contain_text("Addresses the chosen prompts: 2 points")
        criterion = page.locator("fieldset.criterion").first
        expect(criterion.locator("input.points")).to_have_value("2")
        expect(criterion.locator("textarea.comment")).to_have_value(
            "This paragraph restates the textbook; say what you think.")
        page.goto(stack.base_url + f"/ta/essays/{apart[0]}/")
        expect(page.locator("#passage-grades")).to_have_count(0)
        expect(page.locator("fieldset.criterion").first.locator("input.points")).to_have_value("")

    audited = stack.manage("shell", "-c", "from coursework.models import AuditEvent; print(AuditEvent.objects.filter("
                                          f"action='group_grade', actor__username={section.ta.username!r}).count())")
    assert int(audited.strip().splitlines()[-1]) == len(RECURRING) - 1
