"""Is this web process able to serve and to hand work on? For a load balancer, compose's
healthcheck or an operator's probe: each dependency a request needs, checked with a short
timeout, reported by name (never an error's text, which can carry hosts and paths)."""
from __future__ import annotations

import logging
import os
import socket
import tempfile
from pathlib import Path

from celery import current_app
from django.conf import settings
from django.db import connection
from django.utils import timezone

from ..models import Heartbeat

log = logging.getLogger(__name__)


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _broker() -> None:
    # A new connection each time: a probe must see the broker as a new request would.
    with current_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, timeout=2)


def _media() -> None:
    """Uploads are written here: it must take a file (a full or read-only disk fails this)."""
    root = Path(settings.MEDIA_ROOT)
    root.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=root, prefix=".health-") as fh:
        fh.write(b"ok")
        fh.flush()
        os.fsync(fh.fileno())


CHECKS = {"database": _database, "broker": _broker, "media": _media}


def heartbeat(name: str) -> None:
    """Record that the periodic job `name` ran to its end, now, on this host."""
    Heartbeat.objects.update_or_create(name=name, defaults={"seen_at": timezone.now(), "host": socket.gethostname()})


def check() -> dict[str, str]:
    """{dependency: "ok" or "failing"} for every check; the failures' reasons go to the log."""
    report = {}
    for name, probe in CHECKS.items():
        try:
            probe()
            report[name] = "ok"
        except Exception as exc:  # any failure of a dependency is a failing check, whatever raised it
            log.warning("health check %s failing: %s", name, exc)
            report[name] = "failing"
    return report
