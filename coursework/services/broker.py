"""Sending a task by name when a sweeper can make up for a lost message."""
from __future__ import annotations

import logging

from celery import current_app

log = logging.getLogger(__name__)


def send_or_leave(task: str, pk: int, what: str) -> bool:
    """Send `task` for row `pk`; with the broker down, log it and say False: the caller's
    sweeper (or a later event) sends it once the broker is back. `what` names it in the log."""
    try:
        current_app.send_task(task, args=[pk])
        return True
    except Exception as exc:  # kombu raises several kinds (OperationalError, ConnectionError, timeouts)
        log.warning("could not send %s %s to the broker (%s); it is sent again later", what, pk, exc)
        return False
