"""The attacker's files, sent to the real web process: gunicorn with one worker and a
10 s timeout (the production one is 60 s). Each gets a clear message and an ordinary
answer, no worker is killed, and the same worker then serves the next request.

Run with -s to see each request's time (the figures quoted in docs/grading.md).
"""
from __future__ import annotations

import json
import re
import time

import pytest

from tests.support.documents import shared_stream_pdf, zip_bomb_docx
from tests.support.stack import Browser, Stack

pytestmark = pytest.mark.stack

ACCESS = re.compile(r'^<(\d+)> "(\w+) (\S+)')  # %(p)s is "<pid>"


@pytest.fixture(scope="module")
def web(tmp_path_factory, redis_target):
    stack = Stack(tmp_path_factory.mktemp("parse-limits"), redis_target)
    try:
        stack.migrate_and_seed()
        stack.start_web("--timeout", "10", "--access-logfile", "-", "--access-logformat", '%(p)s "%(r)s" %(s)s %(L)s',
                        workers=1)
        yield stack
    finally:
        stack.stop()


@pytest.fixture
def student(web):
    browser = Browser(web)
    browser.login("student", "student-demo-pass")
    return browser


def web_log(stack: Stack) -> str:
    return (stack.logs / "web.log").read_text(errors="replace")


def worker_of(stack: Stack, method: str, path: str) -> str:
    """The pid of the worker that logged the latest request for this path."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        pids = [m.group(1) for m in map(ACCESS.match, web_log(stack).splitlines())
                if m and m.group(2) == method and m.group(3) == path]
        if pids:
            return pids[-1]
        time.sleep(0.1)
    raise AssertionError(f"no access-log line for {method} {path}:\n{web_log(stack)[-3000:]}")


def timed(label: str, send):
    started = time.perf_counter()
    response = send()
    print(f"\n  {label}: HTTP {response.status_code} in {time.perf_counter() - started:.2f} s")
    return response


def assert_the_same_worker_serves_the_next_request(stack: Stack, browser: Browser, method: str, path: str):
    attacked = worker_of(stack, method, path)
    assert browser.http.get(browser.url("/leaderboard/"), timeout=10).status_code == 200
    assert worker_of(stack, "GET", "/leaderboard/") == attacked
    assert "WORKER TIMEOUT" not in web_log(stack) and "Traceback" not in web_log(stack)


def post_essay_file(browser: Browser, filename: str, data: bytes):
    token = browser.csrf("/essays/")
    return browser.http.post(browser.url("/essays/"), data={"csrfmiddlewaretoken": token},
                             files={"e0-upload": (filename, data)}, headers={"Referer": browser.url("/essays/")},
                             timeout=30)


def test_a_preview_of_60000_brackets_answers_with_the_text(web, student):
    token = student.csrf("/essays/")
    response = timed('preview of "[" x 60,000', lambda: student.http.post(
        student.url("/essays/preview/"), data={"text": "[" * 60_000, "csrfmiddlewaretoken": token},
        headers={"Referer": student.url("/essays/")}, timeout=30))
    assert response.status_code == 200
    assert response.json()["html"].count("[") == 60_000
    assert_the_same_worker_serves_the_next_request(web, student, "POST", "/essays/preview/")


def test_a_pdf_whose_pages_share_one_huge_stream_is_refused_as_too_slow_to_read(web, student):
    page = timed("14 KB PDF, 50 pages sharing a 2 MB stream", lambda: post_essay_file(student, "essay.pdf",
                                                                                     shared_stream_pdf()))
    assert page.status_code == 200
    assert "essay.pdf took too long to read: it may be built to be slow to open" in page.text
    assert_the_same_worker_serves_the_next_request(web, student, "POST", "/essays/")


def test_a_zip_bomb_docx_is_refused_from_its_zip_directory(web, student):
    page = timed(".docx unpacking to 20 MB of XML", lambda: post_essay_file(student, "essay.docx", zip_bomb_docx()))
    assert page.status_code == 200
    assert re.search(r"essay.docx has \d+ MB of text markup; at most 10 MB can be read", page.text)
    assert_the_same_worker_serves_the_next_request(web, student, "POST", "/essays/")


@pytest.mark.parametrize("label, notebook, message", [
    ("notebook nested 100,000 deep", b'{"cells": ' + b"[" * 100_000 + b"]" * 100_000 + b', "nbformat": 4}',
     "nested 100,001 levels deep; at most 64 can be read"),
    ("notebook of 100,000 cells", json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "raw", "source": "", "metadata": {}}] * 100_000}, separators=(",", ":")).encode(),
     "The notebook has 100,000 cells; at most 2,000 can be graded."),
])
def test_a_hostile_notebook_is_refused_with_a_clear_message(web, student, label, notebook, message):
    response = timed(label, lambda: student.upload("mnist", "model.ipynb", notebook))
    assert response.status_code == 200
    assert message in response.text
    assert_the_same_worker_serves_the_next_request(web, student, "POST", "/assignments/mnist/")
