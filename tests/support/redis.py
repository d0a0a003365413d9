from __future__ import annotations

import contextlib
import os
import subprocess
import time
from pathlib import Path

import redis

from config.embedded_redis import server_argv


@contextlib.contextmanager
def redis_server(workdir: Path, db: int = 15):
    """Yield a Redis URL. Uses REDIS_URL's server (its db 15, flushed) or starts the embedded one."""
    if os.environ.get("REDIS_URL"):
        url = os.environ["REDIS_URL"].rsplit("/", 1)[0] + f"/{db}"
        redis.Redis.from_url(url).flushdb()
        yield url
        redis.Redis.from_url(url).flushdb()
        return
    socket_path = workdir / "redis.sock"
    proc = subprocess.Popen(server_argv(socket_path), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        client = redis.Redis(unix_socket_path=str(socket_path))
        while True:
            try:
                client.ping()
                break
            except (redis.ConnectionError, FileNotFoundError):
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("the embedded Redis did not start")
                time.sleep(0.05)
        yield f"redis+socket://{socket_path}"
    finally:
        proc.terminate()
        proc.wait(10)
