"""Debian's chromium, driven by Playwright (the package's own browser download is not used)."""
from __future__ import annotations

import contextlib
import shutil
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.support.stack import Stack

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
# Without the background-networking switches chromium keeps trying hosts on a closed network.
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]


@contextlib.contextmanager
def browser_page(viewport=(1200, 900), bypass_csp: bool = False):
    """A page in a fresh context; `bypass_csp` lets a test inject its own script (axe-core)
    into pages whose policy forbids scripts, such as the executed notebook."""
    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is not installed: run scripts/install-system-packages.sh (it installs Debian's chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]}, bypass_csp=bypass_csp)
        page = context.new_page()
        page.set_default_timeout(20_000)
        try:
            yield page
        finally:
            context.close()
            browser.close()


def wait_until(page, expression: str, timeout_ms: float = 20_000) -> None:
    """Wait until `expression` (JavaScript) is true in the page. Playwright's
    wait_for_function evaluates its string with eval in the page, which the site's
    Content-Security-Policy forbids (as it should); evaluate goes through the browser's
    debugging protocol, which the policy does not govern."""
    deadline = time.monotonic() + timeout_ms / 1000
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout_ms / 1000:.0f} s for {expression}")
        time.sleep(0.1)


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def log_in(page, base_url: str, username: str, password: str) -> None:
    page.goto(base_url + "/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button.primary")


# A seven on the playground's 280 px pad: a bar across the top, then down to the left.
SEVEN = [[(70, 60), (210, 60)], [(210, 60), (125, 245)]]  # a bar across the top, then down to the left


def draw(page, strokes, canvas="#pad") -> None:
    box = page.locator(canvas).bounding_box()
    scale = box["width"] / 280
    for stroke in strokes:
        (x0, y0), rest = stroke[0], stroke[1:]
        page.mouse.move(box["x"] + x0 * scale, box["y"] + y0 * scale)
        page.mouse.down()
        for x, y in rest:
            page.mouse.move(box["x"] + x * scale, box["y"] + y * scale, steps=20)
        page.mouse.up()


def wait_until_done(stack: Stack, ids: list[int], timeout_s: float = 300) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        statuses = stack.statuses()
        if all(statuses.get(i) in ("graded", "failed", "error") for i in ids):
            return
        time.sleep(2)
    raise AssertionError(f"grading did not finish: {stack.statuses()}\n{stack.log('worker')}")


def focused(page) -> dict:
    return page.evaluate("""() => { const el = document.activeElement;
        const described = (el.getAttribute('aria-describedby') || '').split(/\\s+/).filter(Boolean)
            .map(id => (document.getElementById(id) || {}).textContent || '').join(' ');
        return {id: el.id, invalid: el.getAttribute('aria-invalid'), text: el.textContent.trim(), described}; }""")
