"""The front (config/nginx) before the real gunicorn: slow clients are held by nginx, not by
the sync workers, and bodies far past the site's limits are refused without being read."""
import os
import shutil
import socket
import string
import subprocess
import threading
import time
from pathlib import Path

import pytest
import requests

from tests.support.stack import ROOT, Stack, free_port

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
pytestmark = pytest.mark.skipif(not Path(NGINX).exists(), reason="nginx is installed by `make test` "
                                                                  "(scripts/install-system-packages.sh --for-tests)")
SLOW_CLIENTS = 10
WORKERS = 2


def render(template: Path, **values: str) -> str:
    """As nginx's image renders its templates: the named variables only, nginx's own left."""
    return string.Template(template.read_text()).safe_substitute(values)


@pytest.fixture
def site(tmp_path, redis_target):
    stack = Stack(tmp_path, redis_target)
    stack.migrate_and_seed()
    stack.start_web(workers=WORKERS)
    front = tmp_path / "front"
    (front / "logs").mkdir(parents=True)
    port = free_port()
    server = render(ROOT / "config/nginx/coursework.conf.template", WEB_UPSTREAM=f"127.0.0.1:{stack.port}",
                    FRONT_PORT=f"127.0.0.1:{port}", STATIC_PARENT=str(tmp_path), NGINX_SNIPPETS=str(ROOT / "config/nginx"))
    (front / "nginx.conf").write_text(
        f"daemon off; worker_processes 1; pid {front}/nginx.pid; error_log {front}/logs/error.log;\n"
        + ("user root root;\n" if os.geteuid() == 0 else "")  # as root, workers would be nobody: no access to tmp
        + f"events {{ worker_connections 512; }}\nhttp {{ access_log off; client_body_temp_path {front}/body; "
          f"proxy_temp_path {front}/proxy;\n{server}\n}}\n")
    proc = subprocess.Popen([NGINX, "-p", str(front), "-c", str(front / "nginx.conf")], stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(base + "/health/", timeout=5)
                break
            except requests.ConnectionError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("nginx did not start: " + proc.stderr.read().decode()) from None
                time.sleep(0.1)
        yield base, stack
    finally:
        proc.terminate()
        proc.wait(10)
        stack.stop()


def slow_clients(port: int, count: int, stop: threading.Event) -> list[threading.Thread]:
    """Connections that send a request's headers one byte a second, never finishing them."""

    def crawl():
        with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
            for byte in b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 600:
                if stop.wait(1):
                    return
                try:
                    conn.sendall(bytes([byte]))
                except OSError:
                    return  # given up on by the server

    threads = [threading.Thread(target=crawl, daemon=True) for _ in range(count)]
    for t in threads:
        t.start()
    return threads


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
    values = dict(WEB_UPSTREAM="127.0.0.1:9", FRONT_PORT="127.0.0.1:9", STATIC_PARENT=str(tmp_path),
                  NGINX_SNIPPETS=str(ROOT / "config/nginx"))
    servers = "\n".join(render(ROOT / f"config/nginx/{name}", **values).replace("/etc/nginx/tls", str(tls))
                        for name in ("coursework.conf.template", "coursework-tls.conf.template"))
    (tmp_path / "nginx.conf").write_text(f"pid {tmp_path}/nginx.pid; error_log {tmp_path}/error.log;\n"
                                         f"events {{}}\nhttp {{ access_log off;\n{servers}\n}}\n")
    checked = subprocess.run([NGINX, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
                             capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
