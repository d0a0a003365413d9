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
    """Uploads are written here: it must take a file (a full or read-only disk fails this)."""
    root = Path(settings.MEDIA_ROOT)
    root.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=root, prefix=".health-") as fh:
        fh.write(b"ok")
        fh.flush()
        os.fsync(fh.fileno())


CHECKS = {"database": _database, "broker": _broker, "media": _media}


# Reported beside the checks, never failing them: a web process serves pages without
# workers, without MNIST (only grading reads it) and with a nearly full disk, and a
# balancer that took every web out of service for one of these would turn a grading or
# disk problem into a whole-site outage. They are for the operator (and the alerts).
WORKERS_SILENT_AFTER_S = 180  # beat's sweep runs every 60 s


def _workers() -> str:
    """"ok" when beat's sweep finished on a worker recently, else "silent" (or "unknown"
    before any sweep has run)."""
    seen = Heartbeat.objects.filter(name="sweep").values_list("seen_at", flat=True).first()
    if seen is None:
        return "unknown"
    return "ok" if (timezone.now() - seen).total_seconds() < WORKERS_SILENT_AFTER_S else "silent"


def _mnist() -> str:
    """The test set is there (present and not empty: fetch_mnist verified its checksums when
    it put it there; hashing 50 MB per probe would not do)."""
    ok = all((Path(settings.MNIST_DATA_DIR) / name).stat().st_size for name in mnist_fetch.FILES)
    return "ok" if ok else "missing"


def _media_space() -> str:
    free_mb = shutil.disk_usage(settings.MEDIA_ROOT).free / 2**20
    return "ok" if free_mb >= settings.HEALTH_MIN_FREE_MB else f"low ({free_mb:.0f} MB free)"


def _grading_limits() -> str:
    """How this host bounds a grading job's memory (grader/cgroups.py): what a worker here uses."""
    from grader import cgroups

    return cgroups.mode().name


NOTES = {"workers": _workers, "mnist": _mnist, "media_space": _media_space, "grading_limits": _grading_limits}


def notes() -> dict[str, str]:
    """The reported-only states; one that cannot be read is "unknown" (its reason logged)."""
    report = {}
    for name, probe in NOTES.items():
        try:
            report[name] = probe()
        except Exception as exc:  # a probe that fails says so; it never fails the page
            log.warning("health note %s unknown: %s", name, exc)
            report[name] = "unknown"
    return report


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
