"""Is this web process able to serve and to hand work on? For a load balancer, compose's
healthcheck or an operator's probe: each dependency a request needs, checked with a short
timeout, reported by name (never an error's text, which can carry hosts and paths)."""
from __future__ import annotations

import logging
import os
import shutil
import socket
import tempfile
from pathlib import Path

from celery import current_app
from django.conf import settings
from django.db import connection
from django.utils import timezone

from reference_nn import fetch as mnist_fetch

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
    """Uploads are written here: it must take a file (a full or read-only disk fails this),
    and have room for a rush of them (HEALTH_MIN_FREE_MB), before it is full."""
    root = Path(settings.MEDIA_ROOT)
    root.mkdir(parents=True, exist_ok=True)
    free_mb = shutil.disk_usage(root).free / 2**20
    if free_mb < settings.HEALTH_MIN_FREE_MB:
        raise OSError(f"{free_mb:.0f} MB free on the media disk, under HEALTH_MIN_FREE_MB")
    with tempfile.NamedTemporaryFile(dir=root, prefix=".health-") as fh:
        fh.write(b"ok")
        fh.flush()
        os.fsync(fh.fileno())


def _mnist() -> None:
    """The test set notebooks are scored on is there (present and not empty: fetch_mnist
    verified its checksums when it put it there; hashing 50 MB per probe would not do)."""
    for name in mnist_fetch.FILES:
        if not (Path(settings.MNIST_DATA_DIR) / name).stat().st_size:
            raise OSError(f"{name} is empty")


CHECKS = {"database": _database, "broker": _broker, "media": _media, "mnist": _mnist}
# Beat's sweep (every 60 s) last finished longer ago than this: reported, not failing. A web
# process can serve without workers, and a balancer that took every web out of service
# because the workers stopped would turn a grading outage into a whole-site one.
WORKERS_SILENT_AFTER_S = 180


def workers() -> str:
    """"ok" when beat's sweep finished on a worker recently, else "silent" (or "unknown"
    before any sweep has run)."""
    seen = Heartbeat.objects.filter(name="sweep").values_list("seen_at", flat=True).first()
    if seen is None:
        return "unknown"
    return "ok" if (timezone.now() - seen).total_seconds() < WORKERS_SILENT_AFTER_S else "silent"


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
