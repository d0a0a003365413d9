"""A new student uploads the template as downloaded, in a real browser against the real
stack: the page names the mistake and its fix, and the upload is given back."""
import re

import pytest

from tests.support.browser import browser_page, screenshot, wait_until
from tests.support.course import unique

pytestmark = pytest.mark.stack


def sign_up(page, base: str, username: str) -> None:
    page.goto(base + "/signup/")
    page.fill("#id_username", username)
    page.fill("#id_email", f"{username}@example.org")
    page.fill("#id_display_name", username.title())
    page.fill("#id_leaderboard_alias", username + "-alias")
    page.fill("#id_password1", "a-long-Passphrase-42")
    page.fill("#id_password2", "a-long-Passphrase-42")
    page.fill("#id_join_code", "basics-demo-code")
    if page.locator("#id_group").count():
        page.select_option("#id_group", index=1)
    page.click("button.primary")
    page.wait_for_selector("text=Welcome to the course")


def uploads_left(page) -> tuple[int, int]:
    left, allowed = re.match(r"(\d+) of (\d+) uploads left", page.inner_text("#uploads-left")).groups()
    return int(left), int(allowed)


def test_a_new_student_uploads_the_unchanged_template_sees_the_named_mistake_and_keeps_the_upload(shared_stack, tmp_path):
    grace = unique("grace")
    with browser_page(viewport=(1280, 900)) as page:
        base = shared_stack.base_url
        sign_up(page, base, grace)
        page.goto(base + "/assignments/mnist/")
        before = uploads_left(page)
        assert before[0] == before[1]
        with page.expect_download() as download:
            page.click("text=Download the template notebook")
        template = tmp_path / "mnist_template.ipynb"
        download.value.save_as(template)

        page.set_input_files("input[type=file]", str(template))
        page.click("button.primary")
        page.wait_for_selector("#status-value:has-text('failed')", timeout=180_000)
        page.wait_for_selector("#failure-title")  # the page reloads itself when the run ends
        assert page.inner_text("#failure-title") == "A part of the template is not written yet"
        fix = page.inner_text("#failure-fix")
        assert "predict still ends in the template's raise NotImplementedError" in fix
        assert "replace the TODO" in fix
        marked = page.inner_text("#failure-source .line.current")
        assert marked.split() == ["4", "raise", "NotImplementedError"]  # line 4 of the cell, the template's raise
        assert "does not count against today's uploads" in page.inner_text("#refunded")
        screenshot(page, "teach-01-template-unchanged")

        page.goto(base + "/assignments/mnist/")
        assert uploads_left(page) == before  # the upload was given back

    with browser_page(viewport=(390, 844)) as phone:
        phone.goto(base + "/accounts/login/")
        phone.fill("#id_username", grace)
        phone.fill("#id_password", "a-long-Passphrase-42")
        phone.click("button.primary")
        phone.goto(base + "/assignments/mnist/")
        phone.click("table.attempts a")
        phone.wait_for_selector("#failure-title")
        # The explanation fits the phone; a long source line scrolls inside its own box. (The
        # page's title with a long file name is the phone-layout work's, not checked here.)
        section = phone.evaluate("(() => { const r = document.querySelector('#failure').getBoundingClientRect();"
                                 " return [r.left, r.right]; })()")
        assert 0 <= section[0] and section[1] <= 390, f"the explained failure is wider than the phone ({section})"
        assert phone.evaluate("document.querySelector('#failure').scrollWidth <= "
                              "document.querySelector('#failure').clientWidth")
        screenshot(phone, "teach-02-template-unchanged-phone")


def test_an_essay_files_words_are_counted_as_soon_as_it_is_chosen(shared_stack, tmp_path):
    from tests.support.essays import ESSAY

    essay = tmp_path / "my essay.txt"
    essay.write_text(ESSAY)
    short = tmp_path / "short.txt"
    short.write_text("Neurons fire. Networks learn.")
    with browser_page(viewport=(1280, 900)) as page:
        sign_up(page, shared_stack.base_url, unique("ada"))
        page.goto(shared_stack.base_url + "/essays/")
        page.select_option("#id_e0-prompt", index=7)
        assert page.inner_text("fieldset[data-slot='0'] .prompt-full").startswith("7. ")  # the whole prompt, readable
        page.wait_for_selector("fieldset[data-slot='0'] .word-count:has-text('0 meaningful words')")  # the empty box
        page.set_input_files("#id_e0-upload", str(essay))
        # The essay's one count line now counts the file, which is what a submit sends.
        page.wait_for_selector("fieldset[data-slot='0'] .word-count:has-text('✓')")
        assert re.fullmatch(r"my essay\.txt: \d+ meaningful words ✓", page.inner_text("fieldset[data-slot='0'] .word-count"))
        assert "like “the” up to one and a half" in page.inner_text("fieldset[data-slot='0'] .word-rule")
        page.set_input_files("#id_e1-upload", str(short))
        page.wait_for_selector("fieldset[data-slot='1'] .word-count:has-text('more needed')")
        assert re.fullmatch(r"short\.txt: \d+ meaningful words \(\d+ more needed\)",
                            page.inner_text("fieldset[data-slot='1'] .word-count"))
        page.set_input_files("#id_e1-upload", [])
        # No file: the line counts the (empty, unprompted) box again.
        wait_until(page, "!document.querySelector(\"fieldset[data-slot='1'] .word-count\").textContent"
                               ".includes('short.txt')")
        screenshot(page, "teach-03-essay-file-counted")


def test_a_student_with_a_small_one_layer_network_reads_coaching_on_the_graded_page(shared_stack, tmp_path):
    from tests.support.notebooks import small_network_notebook

    path = tmp_path / "one_layer.ipynb"
    path.write_bytes(small_network_notebook())
    alan = unique("alan")
    with browser_page(viewport=(1280, 900)) as page:
        sign_up(page, shared_stack.base_url, alan)
        page.goto(shared_stack.base_url + "/assignments/mnist/")
        page.set_input_files("input[type=file]", str(path))
        page.click("button.primary")
        page.wait_for_selector("#status-value:has-text('graded')", timeout=180_000)
        page.wait_for_selector("#coaching")
        steps = page.inner_text("#next-steps")
        assert "The project asks for at least three hidden layers; yours has one (784 → 32 → 10)." in steps
        assert "of its training images right but" in steps  # trained on 1,000 images: it memorises
        weakest = page.locator("#coaching ul.weakest li")
        assert weakest.count() == 3 and "mistaken for" in weakest.first.inner_text()
        assert page.locator("#coaching img.example").count() >= 3  # what the mistakes look like
        screenshot(page, "teach-04-coaching")
        url = page.url

    with browser_page(viewport=(390, 844)) as phone:
        phone.goto(shared_stack.base_url + "/accounts/login/")
        phone.fill("#id_username", alan)
        phone.fill("#id_password", "a-long-Passphrase-42")
        phone.click("button.primary")
        phone.goto(url)
        phone.wait_for_selector("#coaching")
        box = phone.evaluate("(() => { const r = document.querySelector('#coaching').getBoundingClientRect();"
                             " return [r.left, r.right]; })()")
        assert 0 <= box[0] and box[1] <= 390, f"the coaching is wider than the phone ({box})"
        screenshot(phone, "teach-05-coaching-phone")
