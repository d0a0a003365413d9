"""Two TAs working the same essay queue at once, in real browsers against the real stack:
each item they open is theirs while they work on it, so neither ever gets the other's."""
import json
import re

import pytest
from playwright.sync_api import expect

from tests.support.browser import browser_page, log_in
from tests.support.essays import ESSAY

pytestmark = pytest.mark.stack

ESSAY_SETS = 5

SETUP = r"""
import json, sys
from django.contrib.auth.models import User
from django.utils import timezone
from datetime import timedelta
from coursework.models import Essay, EssayPrompt, EssaySubmission, Profile, StudyGroup
from coursework.services.staff_access import grant_ta_permissions
second = User.objects.create_user("ta2", password="ta2-demo-pass", is_staff=True)
second.groups.add(grant_ta_permissions())
Profile.objects.create(user=second, display_name="Second TA", leaderboard_alias="second-ta")
group = StudyGroup.objects.get(name="Group A")
ids = []
for i in range(int(sys.argv[2])):
    student = User.objects.create_user(f"writer{i}", password="x-writer-pass")
    Profile.objects.create(user=student, display_name=f"Writer {i}", leaderboard_alias=f"writer-{i}", group=group)
    essays = EssaySubmission.objects.create(student=student, version=1,
                                            submitted_at=timezone.now() - timedelta(minutes=60 - i))
    for prompt in EssayPrompt.objects.all()[:3]:
        Essay.objects.create(submission=essays, prompt=prompt, text=sys.argv[1], meaningful_words=240)
    ids.append(essays.pk)
print(json.dumps(ids))
"""


def item_of(page) -> int:
    return int(re.search(r"/ta/essays/(\d+)/", page.url).group(1))


def save_feedback_only(page) -> None:
    page.check("#feedback_only")
    page.fill("#feedback", "Read and noted.")
    page.click("#save-review")
    page.wait_for_load_state()


def test_two_tas_working_the_same_essays_never_get_the_same_item(stack, tmp_path):
    script = tmp_path / "setup.py"
    script.write_text(SETUP)
    out = stack.manage("shell", "-c", f"import sys; sys.argv=['x', {ESSAY!r}, '{ESSAY_SETS}']; "
                                      f"exec(open({str(script)!r}).read())")
    ids = json.loads(out.strip().splitlines()[-1])
    base = stack.base_url

    with browser_page() as first:
        second = first.context.browser.new_context(viewport={"width": 1200, "height": 900}).new_page()
        second.set_default_timeout(20_000)
        log_in(first, base, "ta", "ta-demo-pass")
        log_in(second, base, "ta2", "ta2-demo-pass")
        seen = {"ta": [], "ta2": []}
        for name, page in (("ta", first), ("ta2", second)):
            page.goto(base + "/ta/?queue=essays&group=all")
            page.click("text=Start reviewing")
            page.wait_for_url(re.compile(r".*/ta/essays/\d+/.*"))
            expect(page.locator("#claim")).to_contain_text("You hold this item")
            seen[name].append(item_of(page))
        assert seen["ta"][0] != seen["ta2"][0]

        # The first TA, opening the second's item from the list, is told who holds it.
        first.goto(base + f"/ta/essays/{seen['ta2'][0]}/?group=all")
        expect(first.locator("#claim")).to_contain_text("Second TA is working on this item")
        first.go_back()

        # Taking turns at "save and go to the next" until the queue is empty.
        pages = {"ta": first, "ta2": second}
        done = set()
        while len(done) < 2:
            for name, page in pages.items():
                if name in done:
                    continue
                save_feedback_only(page)
                if "/ta/essays/" not in page.url:
                    done.add(name)  # back at the queue: nothing left for this TA
                else:
                    seen[name].append(item_of(page))

    assert not set(seen["ta"]) & set(seen["ta2"]), seen
    assert sorted(seen["ta"] + seen["ta2"]) == sorted(ids)
