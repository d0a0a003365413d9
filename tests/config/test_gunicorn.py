"""The web as config/gunicorn.py serves it, run for real: one gunicorn worker whose threads
serve a page while uploads hold others, and take uploads side by side (each checked in the
confined parser server) without mixing up their answers."""
from __future__ import annotations

import socket
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.support.notebooks import notebook
from tests.support.stack import Browser, Stack

pytestmark = pytest.mark.stack


@pytest.fixture(scope="module")
def base(tmp_path_factory, redis_target):
    stack = Stack(tmp_path_factory.mktemp("gunicorn"), redis_target)
    try:
        stack.migrate_and_seed()
        yield stack
    finally:
        stack.stop()


def serve(stack: Stack, *flags: str) -> Stack:
    """The stack's web, one worker, started afresh with these flags over config/gunicorn.py."""
    stack.kill("web")
    stack.start_web(*flags, workers=1)
    return stack


def held_uploads(stack: Stack, count: int) -> list[socket.socket]:
    """A student's uploads whose bodies stop partway: the view reads each (the CSRF check
    reads the form) and waits for the rest, holding whatever serves it."""
    browser = Browser(stack)
    browser.login("student", "student-demo-pass")
    token = browser.csrf("/assignments/mnist/")
    cookies = "; ".join(f"{name}={value}" for name, value in browser.http.cookies.items())
    held = []
    for _ in range(count):
        conn = socket.create_connection(("127.0.0.1", stack.port), timeout=5)
        conn.sendall(b"POST /assignments/mnist/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100000\r\n"
                     b"Content-Type: multipart/form-data; boundary=b\r\nReferer: " + stack.base_url.encode() +
                     b"/\r\nCookie: " + cookies.encode() + b"\r\n\r\n--b\r\nContent-Disposition: form-data; "
                     b"name=\"csrfmiddlewaretoken\"\r\n\r\n" + token.encode() + b"\r\n--b\r\n"
                     b"Content-Disposition: form-data; name=\"notebook\"; filename=\"slow.ipynb\"\r\n\r\n{")
        held.append(conn)
    return held


def answered(url: str) -> bool:
    try:
        return requests.get(url, timeout=5).status_code == 200
    except requests.RequestException:
        return False


@pytest.mark.parametrize("flags, served", [((), True), (("--worker-class", "sync", "--threads", "1"), False)],
                         ids=["config/gunicorn.py", "a sync worker (the control)"])
def test_a_page_is_answered_while_uploads_hold_the_workers_other_threads(base, flags, served):
    stack = serve(base, *flags)
    held = held_uploads(stack, 2)
    try:
        assert answered(stack.base_url + "/leaderboard/") is served
    finally:
        for conn in held:
            conn.close()


def test_uploads_taken_side_by_side_by_one_workers_threads_each_get_their_own_answer(base):
    stack = serve(base)
    good = notebook("import numpy as np\ndef predict(images):\n    return np.zeros(len(images), dtype=int)")
    files = [("good.ipynb", good), ("prose.ipynb", notebook("")), ("broken.ipynb", b"{not json")] * 3
    browsers = []
    for _ in files:
        browser = Browser(stack)
        browser.login("student", "student-demo-pass")
        browsers.append(browser)
    with ThreadPoolExecutor(len(files)) as pool:
        responses = list(pool.map(lambda pair: pair[0].upload("mnist", *pair[1]), zip(browsers, files)))
    for (name, _), response in zip(files, responses):
        assert response.status_code == 200
        if name == "good.ipynb":
            assert "/submissions/" in response.url, response.text[-2000:]
        else:
            assert response.url.endswith("/assignments/mnist/")
            assert ("no code cells" if name == "prose.ipynb" else "not valid JSON") in response.text
    assert len({response.url for response in responses if "/submissions/" in response.url}) == 3
