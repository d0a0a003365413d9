"""axe-core on every page of the site, for a visitor, a student and a TA, against the real
stack with data on every page: messages, reviews, appeals, graded, failed and queued
notebooks, the executed notebook, queues, similarity pairs, forms showing their errors."""
import json
from urllib.parse import urljoin, urlparse

import pytest
from playwright.sync_api import expect
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.exceptions import Resolver404

from tests.support import axe
from tests.support.browser import SEVEN, browser_page, draw, focused, log_in, wait_until_done
from tests.support.course import unique
from tests.support.notebooks import LOAD_MNIST, NEAREST_MEAN, nearest_mean_notebook, notebook
from tests.support.stack import Stack

pytestmark = pytest.mark.stack

# Not pages: files, fragments a page fetches, and POST-only actions (their result pages are checked).
NOT_PAGES = {
    "template_notebook", "solution_notebook", "essay_count", "submission_status", "submission_figure", "synthesis_autosave", "essay_preview",
    "leaderboard_rows", "playground_predict", "ta_gradebook", "ta_gradebook_task", "ta_review_draft", "essay_draft", "appeal_draft", "ta_regrade_failed",
    "ta_criterion_move", "ta_criterion_delete", "ta_group_move", "ta_extension_withdraw", "inbox_open", "logout",
    "ta_student_search", "final_upload", "ta_reveal_name",
    # A redirect to the next item's review page (those are crawled).
    "ta_next",
    # For operators' probes and scrapers: JSON and Prometheus's text, not pages.
    "health", "health_live", "metrics",
    # A notebook's own hand-in (POST, with an upload token).
    "api_hand_in",
    # LTI 1.3's endpoints: the tool's keys (JSON), the login redirect and the LMS's POSTs; the
    # pages a launch ends on are walked in tests/e2e/test_lti.py.
    "lti_jwks", "lti_login", "lti_launch", "lti_deep_link",
    # Django's password reset links carry a token from an e-mail; the form after it is the same as password_change.
    "password_reset_confirm",
}
# Links a crawl must not follow: they act rather than show (logging out), or leave the site's own pages.
SKIP_PREFIXES = ("/admin/", "/accounts/logout/", "/static/", "/media/")


def page_names() -> set[str]:
    """Every named URL of the site outside Django's admin."""
    names = set()

    def walk(patterns, prefix=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                if str(p.pattern).startswith("admin/"):
                    continue
                walk(p.url_patterns)
            elif isinstance(p, URLPattern) and p.name:
                names.add(p.name)

    walk(get_resolver().url_patterns)
    return names - NOT_PAGES


def url_name(path: str) -> str | None:
    try:
        return resolve(urlparse(path).path).url_name
    except Resolver404:
        return None


class Audit:
    """Visits pages in one role, runs axe on each, follows the site's links (a few of each kind)."""

    def __init__(self, page, base: str, script: str):
        self.page, self.base, self.script = page, base, script
        self.found: dict[str, list[dict]] = {}
        self.seen: set[str] = set()
        self.per_name: dict[str, int] = {}
        self.names: set[str] = set()

    def check(self, label: str) -> None:
        """axe on the page as it is now (after a navigation or a form's answer)."""
        self.page.wait_for_load_state("load")
        problems = axe.at_both_widths(self.page, self.script)
        self.names.add(url_name(urlparse(self.page.url).path) or "?")
        if problems:
            self.found[label] = problems

    def visit(self, path: str) -> None:
        if path in self.seen:
            return
        self.seen.add(path)
        response = self.page.goto(self.base + path)
        assert response.ok, f"{path} answered {response.status}"
        if "text/html" not in response.headers.get("content-type", ""):
            return
        self.check(path)

    def crawl(self, start: list[str], per_name: int = 3, limit: int = 120) -> None:
        queue = list(start)
        while queue and len(self.seen) < limit:
            path = queue.pop(0)
            name = url_name(path)
            if name is None or name in NOT_PAGES or path in self.seen:
                continue
            if self.per_name.get(name, 0) >= per_name and path not in start:
                continue
            self.per_name[name] = self.per_name.get(name, 0) + 1
            self.visit(path)
            for href in self.page.eval_on_selector_all("a[href]", "links => links.map(a => a.getAttribute('href'))"):
                target = urlparse(urljoin(self.base + path, href))
                if target.netloc != urlparse(self.base).netloc or target.path.startswith(SKIP_PREFIXES):
                    continue
                if "download=" in target.query:
                    continue  # a file (a rubric as JSON), not a page
                link = target.path + (f"?{target.query}" if target.query else "")
                if link not in self.seen:
                    queue.append(link)




@pytest.fixture
def showcase(tmp_path, redis_target):
    """A stack of its own with a graded and a failed notebook, then (its worker stopped) queued ones,
    and reviews, appeals, an extension and a second student from tests/support/showcase.py (which
    fills the demo course itself, so no other test may share it)."""
    stack = Stack(tmp_path, redis_target).start()
    try:
        done = stack.submit(1, nearest_mean_notebook()) + stack.submit(1, notebook("raise ValueError('my bug')"))
        wait_until_done(stack, done)
        stack.kill("worker")
        queued = stack.submit(1, nearest_mean_notebook())
        ids = json.loads(stack.manage("shell", "-c", "from tests.support.showcase import populate; populate()")
                         .strip().splitlines()[-1])
        stack.submit(1, nearest_mean_notebook(), username="bob")
        ids.update(graded=done[0], failed=done[1], queued=queued[0])
        yield stack, ids
    finally:
        stack.stop()


def test_no_page_of_either_role_breaks_an_axe_rule(showcase):
    stack, ids = showcase
    script = axe.source()
    visited: set[str] = set()
    found: dict[str, list[dict]] = {}

    with browser_page(viewport=(1280, 900), bypass_csp=True) as page:
        visitor = Audit(page, stack.base_url, script)
        visitor.crawl(["/", "/accounts/login/", "/signup/", "/accounts/password_reset/", "/leaderboard/",
                       "/accounts/password_reset/done/", "/accounts/reset/done/"])
        # Forms that come back with their errors.
        page.goto(stack.base_url + "/signup/")
        page.fill("#id_username", "ada")
        page.fill("#id_join_code", "wrong-code")
        with page.expect_navigation():
            page.click("button.primary")
        visitor.check("/signup/ (refused)")
        page.goto(stack.base_url + "/accounts/login/")
        page.fill("#id_username", "student")
        page.fill("#id_password", "not-the-password")
        with page.expect_navigation():
            page.click("button.primary")
        visitor.check("/accounts/login/ (refused)")
        visited |= visitor.names
        found |= {f"visitor {k}": v for k, v in visitor.found.items()}

    with browser_page(viewport=(1280, 900), bypass_csp=True) as page:
        log_in(page, stack.base_url, "student", "student-demo-pass")
        student = Audit(page, stack.base_url, script)
        sets = [f"/synthesis/{slug}/" for slug in ids["question_sets"][:2]]
        student.crawl(["/", "/progress/", "/inbox/", "/profile/", "/essays/", "/assignments/mnist/", "/leaderboard/",
                       "/accounts/password_change/", "/accounts/password_change/done/",
                       f"/appeals/notebook/{ids['graded']}/", *sets, *(f"/submissions/{ids[k]}/" for k in
                                                          ("graded", "failed", "queued")),
                       f"/submissions/{ids['graded']}/notebook/", f"/submissions/{ids['failed']}/notebook/"],
                      limit=90)
        # A message after an action; forms refused with their errors.
        page.goto(stack.base_url + "/profile/")
        page.click("main button[type=submit]")
        page.wait_for_selector("ul.messages, .messages")
        student.check("/profile/ (saved, with a message)")
        page.goto(stack.base_url + "/assignments/mnist/")
        with page.expect_navigation():
            page.click("button.primary")
        student.check("/assignments/mnist/ (no file chosen)")
        page.goto(stack.base_url + "/essays/")
        with page.expect_navigation():
            page.click("button.primary")
        student.check("/essays/ (refused)")
        page.goto(stack.base_url + "/playground/")
        draw(page, SEVEN)
        page.wait_for_selector("#prediction")
        student.check("/playground/ (a digit drawn)")
        visited |= student.names
        found |= {f"student {k}": v for k, v in student.found.items()}

    with browser_page(viewport=(1280, 900), bypass_csp=True) as page:
        log_in(page, stack.base_url, "ta", "ta-demo-pass")
        ta = Audit(page, stack.base_url, script)
        ta.crawl(["/ta/", *(f"/ta/?queue={q}" for q in ("synthesis", "essays", "notebooks", "appeals")),
                  f"/ta/synthesis/{ids['reviewed_synthesis']}/", f"/ta/synthesis/{ids['bob_synthesis']}/",
                  f"/ta/essays/{ids['essays']}/", f"/ta/essays/{ids['bob_essays']}/", f"/ta/appeals/{ids['appeal']}/",
                  f"/ta/appeals/{ids['answered_appeal']}/", f"/ta/notebooks/{ids['graded']}/",
                  f"/ta/notebooks/{ids['failed']}/", f"/ta/students/{ids['student']}/", "/ta/rubrics/",
                  f"/ta/rubrics/criteria/{ids['criterion']}/", "/ta/groups/", "/ta/groups/none/",
                  f"/ta/groups/{ids['group']}/", "/ta/extensions/", "/ta/deadlines/mnist/", "/ta/similarity/",
                  f"/ta/similarity/solution/{ids['graded']}/",  # linked only from a copy's page: none here
                  "/ta/assignments/mnist/reveal/", "/ta/passages/", "/leaderboard/", f"/submissions/{ids['graded']}/"],
                 limit=90)
        page.goto(stack.base_url + "/ta/extensions/")
        with page.expect_navigation():
            page.click("main form button[type=submit] >> nth=0")
        ta.check("/ta/extensions/ (refused)")
        visited |= ta.names
        found |= {f"TA {k}": v for k, v in ta.found.items()}

    missing = page_names() - visited
    assert not found, "axe-core found violations:\n" + axe.describe(found)
    assert not missing, f"pages no role visited (add them to this test): {sorted(missing)}"


def test_the_keyboard_skips_the_header_and_lands_on_the_first_error_after_a_refused_form(section):
    stack = section.stack
    with browser_page() as page:
        page.goto(stack.base_url + "/")
        page.keyboard.press("Tab")
        assert focused(page)["text"] == "Skip to the content"
        page.keyboard.press("Enter")
        assert focused(page)["id"] == "content"

        page.goto(stack.base_url + "/signup/")
        page.fill("#id_username", unique("ada"))
        page.fill("#id_join_code", "wrong-code")
        with page.expect_navigation():
            page.click("button.primary")
        first = focused(page)
        assert first["id"] == "id_email" and first["invalid"] == "true"
        assert "required" in first["described"], first  # its help and its error are read with it

        log_in(page, stack.base_url, section.student.username, section.student.password)
        page.goto(stack.base_url + "/assignments/mnist/")
        with page.expect_navigation():
            page.click("button.primary")  # no file chosen
        upload = focused(page)
        assert upload["id"] == "id_notebook" and upload["invalid"] == "true"
        assert "required" in upload["described"], upload


# Everything the live region says, kept across the page's reload when grading ends.
RECORD_ANNOUNCEMENTS = """window.addEventListener('DOMContentLoaded', () => {
  const region = document.getElementById('status-announcement');
  if (!region) return;
  new MutationObserver(() => {
    const heard = JSON.parse(sessionStorage.getItem('heard') || '[]');
    heard.push(region.textContent);
    sessionStorage.setItem('heard', JSON.stringify(heard));
  }).observe(region, {childList: true, characterData: true, subtree: true});
});"""


def test_a_screen_reader_hears_a_notebook_go_from_queued_to_running_to_graded(own_stack):
    stack = own_stack
    stack.kill("worker")  # it waits in the queue while the page is open (own stack: no other test loses its worker)
    slow = notebook("import time\ntime.sleep(8)", LOAD_MNIST, NEAREST_MEAN)  # running for several polls
    [submission] = stack.submit(1, slow)
    with browser_page() as page:
        page.add_init_script(RECORD_ANNOUNCEMENTS)
        log_in(page, stack.base_url, "student", "student-demo-pass")
        page.goto(stack.base_url + f"/submissions/{submission}/")
        region = page.locator("#status-announcement")
        assert region.get_attribute("role") == "status" and region.get_attribute("aria-live") == "polite"
        assert page.inner_text("#status-value") == "queued"
        stack.start_worker()
        expect(region).to_contain_text("Grading finished: graded", timeout=300_000)
        expect(region).to_contain_text("Test accuracy")
        heard = page.evaluate("JSON.parse(sessionStorage.getItem('heard') || '[]')")
    assert "Status: running." in heard, heard
    assert heard[-1].startswith("Grading finished: graded. Test accuracy "), heard


def test_the_404_and_403_pages_are_the_sites_own_with_debug_off_and_break_no_axe_rule(tmp_path, redis_target):
    stack = Stack(tmp_path, redis_target, DEBUG="0")  # as `make run` serves: Django's own error pages are off
    try:
        stack.manage("collectstatic", "--noinput", "-v0")  # with DEBUG off only collected files are served
        stack.start()
        stack.manage("shell", "-c", "from django.contrib.auth.models import User; User.objects.create_user('bob')")
        [theirs] = stack.submit(1, notebook("x = 1"), username="bob")
        script = axe.source()
        found: dict[str, list[dict]] = {}
        with browser_page(viewport=(1280, 900), bypass_csp=True) as page:
            def check(label: str, status: int, heading: str) -> None:
                assert page.locator("header.site-header nav").count() == 1, label
                assert page.inner_text("h1") == heading, label
                assert status in (403, 404), label
                if problems := axe.at_both_widths(page, script):
                    found[label] = problems

            response = page.goto(stack.base_url + "/no-such-page/")
            check("404 (visitor)", response.status, "Page not found")
            log_in(page, stack.base_url, "student", "student-demo-pass")
            page.wait_for_url(stack.base_url + "/")
            response = page.goto(stack.base_url + f"/submissions/{theirs}/")
            check("404 (another student's submission)", response.status, "Page not found")
            assert "nb0.ipynb" not in page.content() and "bob" not in page.inner_text("main")
            page.goto(stack.base_url + "/profile/")
            page.eval_on_selector("main input[name=csrfmiddlewaretoken]", "el => el.value = 'x'.repeat(64)")
            with page.expect_navigation() as navigation:
                page.click("main button[type=submit]")
            check("403 (a form sent from a stale page)", navigation.value.status, "Not allowed")
            assert "Log out" in page.inner_text("header")  # still the student's own header
        assert not found, "axe-core found violations:\n" + axe.describe(found)
    finally:
        stack.stop()
