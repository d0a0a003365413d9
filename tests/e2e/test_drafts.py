"""Nothing a student types is lost, in a real browser against the real stack: essays typed
and left by the header, refused, or left by closing the tab come back; and an appeal whose
score changed while it was open cannot be answered "the result stands"."""
import json

import pytest
from playwright.sync_api import expect

from tests.support.essays import ESSAY
from tests.support.browser import browser_page, log_in, screenshot

pytestmark = pytest.mark.stack

HUNDRED_WORDS = " ".join(ESSAY.split()[:100])


def wait_for_the_draft_to_be_saved(page) -> None:
    expect(page.locator("#essay-form .draft-state")).to_contain_text("Draft saved")


def back_to_the_essays_by_the_header(page) -> None:
    page.click("header >> text=Essays")
    page.wait_for_url("**/essays/")


def test_essays_survive_leaving_by_the_header_a_refused_submit_and_a_closed_tab(section):
    base = section.stack.base_url
    with browser_page() as page:
        log_in(page, base, section.student.username, section.student.password)
        page.click("header >> text=Essays")
        page.select_option("#id_e0-prompt", index=2)
        page.locator("#id_e0-text").press_sequentially("Neurons and weights. ")  # typed: a user's gesture
        page.fill("#id_e0-text", HUNDRED_WORDS)

        # Leaving at once, before the pause that saves: the browser asks first.
        asked = []
        page.once("dialog", lambda dialog: (asked.append(dialog.type), dialog.accept()))
        page.click("header >> text=Reading")
        page.wait_for_url("**/unit/**")
        assert asked == ["beforeunload"]
        back_to_the_essays_by_the_header(page)
        expect(page.locator("#id_e0-text")).to_have_value(HUNDRED_WORDS)  # sent on the way out
        expect(page.locator("#draft-restored")).to_contain_text("Restored your draft from")

        # Saved while typing: leaving asks nothing, and coming back shows it all.
        page.fill("#id_e0-text", HUNDRED_WORDS + " More thoughts on gradients.")
        wait_for_the_draft_to_be_saved(page)
        page.once("dialog", lambda dialog: (asked.append(dialog.type), dialog.dismiss()))
        page.click("header >> text=Reading")
        page.wait_for_url("**/unit/**")
        assert asked == ["beforeunload"]
        back_to_the_essays_by_the_header(page)
        expect(page.locator("#id_e0-text")).to_have_value(HUNDRED_WORDS + " More thoughts on gradients.")
        chosen = page.locator("#id_e0-prompt").input_value()
        assert chosen

        # A refused submit (the third essay is short) keeps all three and their prompts.
        page.select_option("#id_e1-prompt", index=3)
        page.fill("#id_e1-text", ESSAY)
        page.select_option("#id_e2-prompt", index=4)
        page.fill("#id_e2-text", "Too short to count yet.")
        page.click("button.primary")
        expect(page.locator(".error-box")).to_contain_text("more are needed")
        page.click("header >> text=Reading")
        page.wait_for_url("**/unit/**")
        back_to_the_essays_by_the_header(page)
        expect(page.locator("#draft-restored")).to_be_visible()
        expect(page.locator("#id_e0-text")).to_have_value(HUNDRED_WORDS + " More thoughts on gradients.")
        expect(page.locator("#id_e1-text")).to_have_value(ESSAY)
        expect(page.locator("#id_e2-text")).to_have_value("Too short to count yet.")
        prompts = [page.locator(f"#id_e{i}-prompt").input_value() for i in range(3)]
        assert prompts[0] == chosen and len(set(prompts)) == 3 and all(prompts)
        screenshot(page, "40-essays-draft-restored")

        # Closing the tab after the save, and closing it straight after typing: a new tab has both.
        page.fill("#id_e2-text", "Too short to count yet, but longer now.")
        wait_for_the_draft_to_be_saved(page)
        context = page.context
        page.close()
        page = context.new_page()
        page.goto(base + "/essays/")
        expect(page.locator("#id_e2-text")).to_have_value("Too short to count yet, but longer now.")
        page.locator("#id_e1-text").press("Control+End")
        page.locator("#id_e1-text").press_sequentially(" Typed and closed")
        page.close()
        page = context.new_page()
        page.goto(base + "/essays/")
        expect(page.locator("#id_e1-text")).to_have_value(ESSAY + " Typed and closed")

        # Handed in, the draft is gone: the page shows the version submitted.
        page.fill("#id_e0-text", ESSAY)
        page.fill("#id_e2-text", ESSAY)
        wait_for_the_draft_to_be_saved(page)
        page.click("button.primary")
        expect(page.locator("main")).to_contain_text("Version 1 submitted")
        page.goto(base + "/essays/")
        expect(page.locator("#draft-restored")).to_have_count(0)


APPEAL = r"""
import json, sys
from django.contrib.auth.models import User
from django.utils import timezone
from coursework.models import Essay, EssayPrompt, EssaySubmission
from coursework.services import appeals
student = User.objects.get(username=sys.argv[1])
e = EssaySubmission.objects.create(student=student, version=1, status="reviewed", score=3, max_score=4,
                                   reviewed_at=timezone.now(), review_version=1)
for p in EssayPrompt.objects.all()[:3]:
    Essay.objects.create(submission=e, prompt=p, text="An essay.", meaningful_words=240)
appeal = appeals.file(student, e, "Essay 2 names its sources.", appeals.state_of(e)["token"])
print(json.dumps({"appeal": appeal.pk, "essays": e.pk}))
"""

RAISE = r"""
from coursework.models import EssaySubmission
EssaySubmission.objects.filter(pk={pk}).update(score=4, review_version=2)
"""


def test_an_appeal_whose_score_changed_cannot_be_answered_the_result_stands(section):
    stack = section.stack
    ids = json.loads(stack.manage("shell", "-c", f"import sys; sys.argv = ['x', {section.student.username!r}]; exec({APPEAL!r})")
                     .strip().splitlines()[-1])
    base = stack.base_url
    with browser_page() as ta:
        log_in(ta, base, section.ta.username, section.ta.password)
        ta.goto(f"{base}/ta/appeals/{ids['appeal']}/")
        # The score is what the appeal saw: "stands" is the only true answer.
        expect(ta.locator("input[value=unchanged]")).to_be_checked()
        expect(ta.locator("input[value=changed]")).to_have_count(0)
        # Meanwhile the work is reviewed again (in another tab, say): 3 of 4 becomes 4 of 4.
        stack.manage("shell", "-c", RAISE.format(pk=ids["essays"]))
        ta.fill("#id_answer", "I read it again; the points stand.")
        ta.click("text=Send the answer")
        expect(ta.locator(".error-box")).to_contain_text("it is now 4 of 4 points")
        expect(ta.locator(".error-box")).to_contain_text("does not stand")
        # The page now offers only the answer that agrees with the score; what was typed is kept.
        expect(ta.locator("input[value=unchanged]")).to_have_count(0)
        expect(ta.locator("#id_answer")).to_have_value("I read it again; the points stand.")
        screenshot(ta, "41-ta-appeal-score-changed")
        ta.check("input[value=changed]")
        ta.fill("#id_answer", "You were right: 4 of 4.")
        ta.click("text=Send the answer")
        expect(ta.locator("main")).to_contain_text("Answer sent")

    with browser_page() as student:
        log_in(student, base, section.student.username, section.student.password)
        student.goto(base + "/essays/")
        expect(student.locator("#appeal")).to_contain_text("the result was changed")
        expect(student.locator("#appeal")).not_to_contain_text("stands")
