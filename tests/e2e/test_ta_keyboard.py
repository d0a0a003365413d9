"""A TA works by keyboard: the queue's first item is a few key presses from the top of the
dashboard, and the review pane's shortcut list opens where it can be read."""
import json

import pytest

from tests.e2e.test_accessibility import focused
from tests.support.browser import browser_page, log_in

pytestmark = pytest.mark.stack


def test_a_ta_reaches_start_reviewing_in_three_tabs_and_sees_the_shortcut_list_it_opens(stack):
    ids = json.loads(stack.manage("shell", "-c", "from tests.support.showcase import populate; populate()")
                     .strip().splitlines()[-1])
    with browser_page(viewport=(1280, 800)) as page:
        log_in(page, stack.base_url, "ta", "ta-demo-pass")
        page.goto(stack.base_url + "/ta/?queue=synthesis")
        page.keyboard.press("Tab")
        page.keyboard.press("Tab")
        assert focused(page)["text"] == "Skip to the queue"
        page.keyboard.press("Enter")
        page.keyboard.press("Tab")
        assert focused(page)["text"] == "Start reviewing"
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert f"/ta/synthesis/{ids['bob_synthesis']}/" in page.url

        page.keyboard.press("Escape")  # out of any box the page focused, so the keys are shortcuts
        page.keyboard.press("?")
        shortcuts = page.locator("details.shortcuts")
        assert shortcuts.get_attribute("open") is not None
        box = page.locator("details.shortcuts dl").bounding_box()
        assert 0 <= box["y"] and box["y"] + box["height"] <= 800, f"the shortcut list is at {box} in an 800 px window"
