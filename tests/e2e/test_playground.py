"""Draw-a-digit, in a real browser against the real stack: mouse strokes on the canvas, the
reference network's answer while drawing."""
import pytest

from tests.support.browser import SEVEN, browser_page, draw, log_in, screenshot, wait_until

pytestmark = pytest.mark.stack


@pytest.mark.parametrize("width", [1280, 390])
def test_a_student_draws_a_seven_and_the_reference_network_reads_it(section, width):
    with browser_page(viewport=(width, 900)) as page:
        log_in(page, section.stack.base_url, section.student.username, section.student.password)
        page.goto(section.stack.base_url + "/playground/")
        assert "runs on the server, in the web process, with NumPy" in page.inner_text("#where")

        draw(page, SEVEN[:1])  # the top bar alone: some answer, while drawing
        page.wait_for_selector("#prediction")
        draw(page, SEVEN[1:])

        wait_until(page, "document.querySelector('#prediction') && "
                               "document.querySelector('#prediction').textContent === '7'", timeout_ms=15_000)
        top = page.inner_text("#probabilities li.top")
        assert top.startswith("7")
        if width >= 1024:  # on a laptop the answer sits beside the pad, in the first screen, without scrolling
            answer, pad = page.locator("#answer").bounding_box(), page.locator("#pad").bounding_box()
            assert answer["x"] > pad["x"] + pad["width"] and answer["y"] + answer["height"] < 900
        assert "hidden layer 1:" in page.inner_text("#network-summary")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        screenshot(page, f"playground-seven-{width}")

        page.click("#clear")
        assert page.inner_text("#answer") == "Draw a digit to start."

        page.click("#sample")  # the way in without a pointer
        wait_until(page, "document.querySelector('#answer').textContent.includes('labelled')")
        assert page.locator("#prediction").count() == 1
