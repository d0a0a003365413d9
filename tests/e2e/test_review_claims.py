"""Two TAs working the same essay queue at once, in real browsers against the real stack:
each item they open is theirs while they work on it, so neither ever gets the other's."""
import re

import pytest
from playwright.sync_api import expect

from tests.support.browser import browser_page, log_in
from tests.support.course import Section

pytestmark = pytest.mark.stack

ESSAY_SETS = 5


def item_of(page) -> int:
    return int(re.search(r"/ta/essays/(\d+)/", page.url).group(1))


def save_feedback_only(page) -> None:
    page.check("#feedback_only")
    page.fill("#feedback", "Read and noted.")
    page.click("#save-review")
    page.wait_for_load_state()


def test_two_tas_working_the_same_essays_never_get_the_same_item(shared_stack):
    # Their own group's queue: on the shared stack other tests' essays wait in others.
    section = Section.create(shared_stack, tas=2)
    ids = [essays.pk for essays in section.essay_sets(ESSAY_SETS)]
    base, group = shared_stack.base_url, f"group={section.group_id}"
    ta, ta2 = section.tas

    with browser_page() as first:
        second = first.context.browser.new_context(viewport={"width": 1200, "height": 900}).new_page()
        second.set_default_timeout(20_000)
        log_in(first, base, ta.username, ta.password)
        log_in(second, base, ta2.username, ta2.password)
        seen = {"ta": [], "ta2": []}
        for name, page in (("ta", first), ("ta2", second)):
            page.goto(base + f"/ta/?queue=essays&{group}")
            page.click("text=Start reviewing")
            page.wait_for_url(re.compile(r".*/ta/essays/\d+/.*"))
            expect(page.locator("#claim")).to_contain_text("You hold this item")
            seen[name].append(item_of(page))
        assert seen["ta"][0] != seen["ta2"][0]

        # The first TA, opening the second's item from the list, is told who holds it.
        first.goto(base + f"/ta/essays/{seen['ta2'][0]}/?{group}")
        expect(first.locator("#claim")).to_contain_text(f"{ta2.display_name} is working on this item")
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
