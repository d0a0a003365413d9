"""The front (config/nginx) before the real gunicorn: slow clients are held by nginx, not by
the sync workers, and bodies far past the site's limits are refused without being read."""
import subprocess
import threading
import time

import pytest
import requests

from tests.support.front import NGINX, Front, render, slow_clients
from tests.support.notebooks import notebook
from tests.support.stack import ROOT, Browser, Stack

SLOW_CLIENTS = 50
WORKERS = 2


@pytest.fixture
def site(tmp_path, redis_target):
    stack = Stack(tmp_path, redis_target)
    front = Front(tmp_path / "front", stack.port, static_parent=tmp_path)
    try:
        stack.migrate_and_seed()
        stack.start_web(workers=WORKERS)
        front.start()
        yield front.base_url, stack
    finally:
        front.stop()
        stack.stop()


def answered(url: str) -> bool:
    try:
        return requests.get(url, timeout=15).status_code == 200
    except requests.RequestException:
        return False


def test_slow_clients_hold_the_sync_workers_without_a_front_and_nothing_with_one(site):
    base, stack = site
    stop = threading.Event()
    try:
        # Without the front (the control): more slow clients than workers, and a page waits.
        slow_clients(stack.port, SLOW_CLIENTS, stop)
        time.sleep(2)
        assert not answered(stack.base_url + "/leaderboard/"), "the slow clients did not hold gunicorn's workers"
        stop.set()
        time.sleep(2)
        stop = threading.Event()
        # Through the front: the same slow clients, and every page is answered.
        slow_clients(int(base.rsplit(":", 1)[1]), SLOW_CLIENTS, stop)
        time.sleep(2)
        assert all(answered(base + page) for page in ["/", "/leaderboard/", "/unit/back-to-basics/"] * 3)
    finally:
        stop.set()


def test_a_body_far_past_the_limits_is_refused_at_the_front_and_one_near_them_reaches_the_site(site):
    base, _ = site
    too_big = requests.post(base + "/essays/count/", data=b"x" * (40 * 1024 * 1024), timeout=60)
    assert too_big.status_code == 413
    # Within the front's cap, the site answers itself (here: a visitor sent to log in).
    within = requests.post(base + "/essays/count/", data=b"x" * (6 * 1024 * 1024), timeout=60, allow_redirects=False)
    assert within.status_code in (302, 403)


def test_static_files_are_served_by_the_front_itself(site, tmp_path):
    base, _ = site
    (tmp_path / "static").mkdir(exist_ok=True)
    (tmp_path / "static" / "probe.css").write_text("body { color: black }")
    response = requests.get(base + "/static/probe.css", timeout=10)
    assert response.text == "body { color: black }" and "Expires" in response.headers


def test_the_tls_front_is_a_configuration_nginx_accepts(tmp_path):
    tls = tmp_path / "tls"
    tls.mkdir()
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                    "-keyout", str(tls / "privkey.pem"), "-out", str(tls / "fullchain.pem")], check=True, capture_output=True)
    values = dict(WEB_UPSTREAM="127.0.0.1:9", UPLOADS_UPSTREAM="127.0.0.1:10", FRONT_PORT="127.0.0.1:9", STATIC_PARENT=str(tmp_path),
                  NGINX_SNIPPETS=str(ROOT / "config/nginx"))
    servers = "\n".join(render(ROOT / f"config/nginx/{name}", **values).replace("/etc/nginx/tls", str(tls))
                        for name in ("coursework.conf.template", "coursework-tls.conf.template"))
    (tmp_path / "nginx.conf").write_text(f"pid {tmp_path}/nginx.pid; error_log {tmp_path}/error.log;\n"
                                         f"events {{}}\nhttp {{ access_log off;\n{servers}\n}}\n")
    checked = subprocess.run([NGINX, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
                             capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr


def test_an_upload_through_the_front_is_answered_by_the_upload_pool_and_stored_and_graded(tmp_path, redis_target):
    """The front sends notebook uploads to the upload pool (a gunicorn of its own, at a lower
    CPU weight in production) and everything else to the pages' pool; the upload is the
    site's as ever: stored, graded, its page shown."""
    stack = Stack(tmp_path, redis_target)
    front = None
    try:
        stack.migrate_and_seed()
        stack.start_web("--access-logfile", "-", workers=1)
        uploads = stack.start_web("--access-logfile", "-", workers=1, name="uploads")
        stack.start_worker()
        front = Front(tmp_path / "front", stack.port, static_parent=tmp_path,
                      uploads_port=int(uploads.rsplit(":", 1)[1])).start()
        browser = Browser(stack, front.base_url)
        browser.login("student", "student-demo-pass")
        stored = browser.upload("mnist", "routed.ipynb", notebook(
            "import numpy as np\ndef predict(images):\n    return np.zeros(len(images), dtype=int)"))
        assert stored.status_code == 200 and "/submissions/" in stored.url, stored.text[:500]
        submission = stored.url.rstrip("/").rsplit("/", 1)[1]
        browser.final_status(f"/submissions/{submission}/status/")  # asked through the front, to the pages
        assert stack.statuses()[int(submission)] == "graded", stack.explain([int(submission)])
        assert '"POST /assignments/mnist/' in stack.log_text("uploads")
        assert '"POST /assignments/mnist/' not in stack.log_text("web")
        # The rest stays with the pages: the form itself, the log-in, the upload's page.
        assert '"GET /assignments/mnist/' in stack.log_text("web")
        assert '"POST /accounts/login/' in stack.log_text("web")
        assert f'"GET /submissions/{submission}/' in stack.log_text("web")
        assert '"GET ' not in stack.log_text("uploads").split('"POST /assignments/mnist/', 1)[1]
    finally:
        if front:
            front.stop()
        stack.stop()
