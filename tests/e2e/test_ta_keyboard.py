"""A TA at work: the queue's first item is a few key presses from the top of the dashboard,
the review pane's shortcut list opens where it can be read, and the extension form finds a
student by the name the TA knows."""
import json

import pytest
from playwright.sync_api import expect

from tests.support.browser import browser_page, focused, log_in

pytestmark = pytest.mark.stack


def test_a_ta_reaches_start_reviewing_in_three_tabs_and_sees_the_shortcut_list_it_opens(own_stack):
    # A stack of its own: the showcase fills the demo course, and the queue's first item is the demo TA's.
    stack = own_stack
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


def test_a_ta_picks_a_student_for_an_extension_by_the_name_they_know(section):
    student = section.student  # "Student <tag>", a name only this test's student has
    with browser_page() as page:
        log_in(page, section.stack.base_url, section.ta.username, section.ta.password)
        page.goto(section.stack.base_url + "/ta/extensions/")
        page.select_option("#id_assignment", label="Synthesis questions")
        page.locator("#id_student").press_sequentially(student.display_name, delay=50)
        option = page.locator("#student-options option")
        expect(option).to_have_count(1)
        assert option.get_attribute("value") == student.username
        assert option.get_attribute("label").startswith(f"{student.display_name} · {student.username}")
        page.fill("#id_student", student.username)  # what choosing the option puts in the field
        page.fill("#id_due_at", "2099-01-01T12:00")
        with page.expect_navigation():
            page.click("#extension-form button[type=submit]")
        expect(page.locator("main")).to_contain_text(f"{student.display_name} now has until")
