"""The front of config/nginx started before a stack's gunicorn, as docker-compose runs it:
for the front's test and benchmarks/front.py."""
from __future__ import annotations

import os
import shutil
import socket
import string
import subprocess
import threading
import time
from pathlib import Path

import requests

from tests.support.stack import ROOT, free_port

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def render(template: Path, **values: str) -> str:
    """As nginx's image renders its templates: the named variables only, nginx's own left."""
    return string.Template(template.read_text()).safe_substitute(values)


class Front:
    def __init__(self, workdir: Path, upstream_port: int, static_parent: Path, uploads_port: int | None = None):
        """`uploads_port`: the upload pool's gunicorn (default: the one at `upstream_port`)."""
        self.dir = workdir
        (workdir / "logs").mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        server = render(ROOT / "config/nginx/coursework.conf.template", WEB_UPSTREAM=f"127.0.0.1:{upstream_port}",
                        UPLOADS_UPSTREAM=f"127.0.0.1:{uploads_port or upstream_port}",
                        FRONT_PORT=f"127.0.0.1:{self.port}", STATIC_PARENT=str(static_parent),
                        NGINX_SNIPPETS=str(ROOT / "config/nginx"))
        (workdir / "nginx.conf").write_text(
            f"daemon off; worker_processes 1; pid {workdir}/nginx.pid; error_log {workdir}/logs/error.log;\n"
            # As root, nginx's workers would run as nobody, who cannot read this directory.
            + ("user root root;\n" if os.geteuid() == 0 else "")
            + f"events {{ worker_connections 1024; }}\nhttp {{ access_log off; client_body_temp_path {workdir}/body; "
              f"proxy_temp_path {workdir}/proxy;\n{server}\n}}\n")
        self.proc = None

    def start(self) -> "Front":
        self.proc = subprocess.Popen([NGINX, "-p", str(self.dir), "-c", str(self.dir / "nginx.conf")],
                                     stderr=subprocess.PIPE)
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(self.base_url + "/health/", timeout=5)
                return self
            except requests.ConnectionError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("nginx did not start: " + self.proc.stderr.read().decode()) from None
                time.sleep(0.1)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


def slow_clients(port: int, count: int, stop: threading.Event) -> list[threading.Thread]:
    """Connections that send a request's headers one byte a second, never finishing them,
    until `stop` is set or the server gives up on them."""

    def crawl():
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
                for byte in b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 600:
                    if stop.wait(1):
                        return
                    conn.sendall(bytes([byte]))
        except OSError:
            return  # refused or given up on by the server

    threads = [threading.Thread(target=crawl, daemon=True) for _ in range(count)]
    for t in threads:
        t.start()
    return threads
