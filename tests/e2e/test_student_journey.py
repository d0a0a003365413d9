"""A new student's first evening, in a real browser against the real stack."""
import re

import pytest

from tests.support.essays import ESSAY
from tests.support.browser import SCREENSHOTS, browser_page, screenshot
from tests.support.course import unique
from tests.support.notebooks import nearest_mean_notebook

pytestmark = pytest.mark.stack


def test_a_new_student_signs_up_reads_answers_writes_and_gets_a_notebook_graded(shared_stack, tmp_path):
    ada = unique("ada")
    with browser_page() as page:
        base = shared_stack.base_url
        # Sign up with the join code.
        page.goto(base + "/signup/")
        page.fill("#id_username", ada)
        page.fill("#id_email", f"{ada}@example.org")
        page.fill("#id_display_name", "Ada L.")
        page.fill("#id_leaderboard_alias", unique("analytical"))
        page.fill("#id_password1", "a-long-Passphrase-42")
        page.fill("#id_password2", "a-long-Passphrase-42")
        page.fill("#id_join_code", "wrong-code")
        page.click("button.primary")
        assert "That join code is not this course" in page.inner_text("main")
        page.fill("#id_password1", "a-long-Passphrase-42")
        page.fill("#id_password2", "a-long-Passphrase-42")
        page.fill("#id_join_code", "basics-demo-code")
        page.select_option("#id_group", label="Group A")  # the group the TA named in the first session
        screenshot(page, "01-signup")
        page.click("button.primary")
        assert "Welcome to the course, Ada L." in page.inner_text("main")
        screenshot(page, "02-overview")

        # Read the reading, with its figures.
        page.click("a:has-text('Back to basics: neural networks')")
        page.wait_for_url("**/unit/back-to-basics/")
        assert page.locator("svg.figure").count() == 2
        screenshot(page, "03-reading")

        # Answer a question set: the MSE hint appears as she types, the draft survives a reload.
        page.goto(base + "/synthesis/archive-gradient-descent/")
        boxes = page.locator("textarea")
        for i in range(boxes.count()):
            boxes.nth(i).fill(f"My answer {i}, because networks must generalise to unseen digits.")
        mse_box = page.locator("li:has-text('[0.25, 0.75]') textarea")
        mse_box.fill("I get 0.3")
        page.wait_for_selector(".hint-try")
        mse_box.fill("Each error is 0.25, squared 0.0625, so the MSE is 0.0625")
        page.wait_for_selector(".hint-ok")
        page.wait_for_selector("#save-state:has-text('Saved')")
        page.reload()
        assert "so the MSE is 0.0625" in page.locator("li:has-text('[0.25, 0.75]') textarea").input_value()
        page.click("button[name=submit]")
        assert "Submitted" in page.inner_text("main")
        screenshot(page, "04-synthesis-submitted")

        # Three essays: one too short first.
        page.goto(base + "/essays/")
        options = page.locator("#id_e0-prompt option")
        for slot in range(3):
            page.select_option(f"#id_e{slot}-prompt", index=slot + 1)
            page.fill(f"#id_e{slot}-text", ESSAY if slot < 2 else "Neurons fire. Networks learn.")
        assert options.count() == 8  # the seven prompts and the empty choice
        page.wait_for_selector("fieldset[data-slot='2'] .word-count:has-text('more needed')")
        page.click("button.primary")
        message = page.inner_text(".error-box")
        assert re.search(r"The essay on prompt 3 .* has \d+ meaningful words: \d+ more are needed", message)
        screenshot(page, "05-essays-too-short")
        page.fill("#id_e2-text", ESSAY)
        page.click("button.primary")
        assert "Version 1 submitted" in page.inner_text("main")
        screenshot(page, "06-essays-submitted")

        # Upload a notebook and watch it get graded without reloading.
        notebook_path = tmp_path / "nearest_mean.ipynb"
        notebook_path.write_bytes(nearest_mean_notebook())
        page.goto(base + "/assignments/mnist/")
        assert "uploads left today" in page.inner_text("main")
        screenshot(page, "07-assignment")
        page.set_input_files("input[type=file]", str(notebook_path))
        page.click("button.primary")
        page.wait_for_selector("#status-value:has-text('graded')", timeout=180_000)
        # Before the reveal: the public half's confusion matrix (an HTML table) and wrong digits,
        # nothing counted on the private half.
        page.wait_for_selector("table.confusion")
        assert "digits of the public half were misclassified" in page.inner_text("main")
        assert page.locator("text=Consistency check").count() == 0
        assert re.search(r"8[12]\.\d\d%", page.inner_text("#accuracy-value"))
        assert "on the public half" in page.inner_text("main")
        assert "The reference network scores" in page.inner_text("main")
        # The executed notebook shows in its sandboxed frame.
        page.frame_locator("iframe.notebook").locator("text=def predict").first.wait_for()
        screenshot(page, "08-notebook-feedback")
        frame = page.locator("iframe.notebook")
        frame.scroll_into_view_if_needed()
        frame.screenshot(path=str(SCREENSHOTS / "08b-executed-notebook.png"))

    with browser_page(viewport=(390, 844)) as phone:
        phone.goto(shared_stack.base_url + "/unit/back-to-basics/")
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 400, f"the reading scrolls sideways on a phone ({width}px)"
        screenshot(phone, "09-reading-phone")
