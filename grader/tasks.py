"""Celery tasks. Each takes a primary key, claims its row, and is safe to run twice."""
from __future__ import annotations

import logging
import shutil
from datetime import timedelta
from pathlib import Path

from celery import shared_task
from django.conf import settings
from django.db import DatabaseError, OperationalError
from django.db.models import F, Q
from django.utils import timezone

from coursework.models import Submission

from .errors import SystemFault
from .pipeline import grade_notebook_bytes
from .sandbox import Limits
from .services import owned_by_attempt, record_result

log = logging.getLogger(__name__)

# Only these are worth another try; a student's failing notebook never is.
TRANSIENT = (SystemFault, OperationalError, OSError)
MAX_SYSTEM_RETRIES = 3
HEARTBEAT_S = 10


def claim(submission_id: int) -> int | None:
    """Move queued -> running in one conditional UPDATE; return the attempt number we own, or None."""
    now = timezone.now()
    claimed = Submission.objects.filter(pk=submission_id, status=Submission.QUEUED).update(
        status=Submission.RUNNING, attempts=F("attempts") + 1, started_at=now, heartbeat_at=now
    )
    if not claimed:
        return None
    return Submission.objects.values_list("attempts", flat=True).get(pk=submission_id)


@shared_task(
    bind=True,
    acks_late=True,
    # Headroom above the longest run the settings allow: the run's own wall clock
    # stops a notebook first, these only stop a worker that hangs outside it.
    soft_time_limit=settings.GRADER_MAX_TOTAL_TIMEOUT_S + 300,
    time_limit=settings.GRADER_MAX_TOTAL_TIMEOUT_S + 600,
)
def grade_submission(self, submission_id: int) -> str:
    attempt = claim(submission_id)
    if attempt is None:
        return "not claimed (already taken or finished)"
    submission = Submission.objects.select_related("assignment").get(pk=submission_id)
    job_dir = Path(settings.GRADER_WORK_ROOT) / f"submission-{submission_id}-attempt-{attempt}"

    def heartbeat():
        owned_by_attempt(submission_id, attempt).update(heartbeat_at=timezone.now())

    try:
        with submission.notebook.open("rb") as fh:
            notebook_bytes = fh.read()
        limits = Limits.from_settings(submission.assignment.limits)
        result = grade_notebook_bytes(notebook_bytes, job_dir, limits, heartbeat)
        if record_result(submission_id, attempt, result):
            # One line per stored result: the reliability scenarios count these.
            log.info("stored result of submission %s attempt %s: %s", submission_id, attempt, result.status)
    except TRANSIENT as exc:
        return _system_fault(self, submission_id, attempt, exc)
    finally:
        shutil.rmtree(job_dir, ignore_errors=True)
    return result.status


def _system_fault(task, submission_id: int, attempt: int, exc: Exception) -> str:
    log.warning("grading submission %s attempt %s hit a system fault: %s", submission_id, attempt, exc)
    system_retries = task.request.retries
    if system_retries >= MAX_SYSTEM_RETRIES:
        owned_by_attempt(submission_id, attempt).update(
            status=Submission.ERROR,
            message="The grader failed for a reason that is not your notebook's; staff have been told and will regrade it.",
            log_tail=f"{type(exc).__name__}: {exc}"[-65536:],
            finished_at=timezone.now(),
        )
        return Submission.ERROR
    try:
        owned_by_attempt(submission_id, attempt).update(status=Submission.QUEUED, heartbeat_at=timezone.now())
    except DatabaseError:
        pass  # the sweeper will find the row once its heartbeat is stale
    raise task.retry(countdown=min(300, 10 * 3**system_retries), exc=exc)


def enqueue(submission_id: int) -> bool:
    """Send the grading task; if the broker is down, leave the row queued for the sweeper.

    The Submission row is the outbox: a queued row whose message never arrived is sent
    again by requeue_stuck once the broker is back, so an upload accepted during a
    Redis outage is graded afterwards, not lost.
    """
    try:
        grade_submission.delay(submission_id)
        return True
    except Exception as exc:  # kombu raises several kinds (OperationalError, ConnectionError, timeouts)
        log.warning("could not enqueue submission %s (%s); the sweeper will send it later", submission_id, exc)
        return False


@shared_task
def requeue_stuck() -> int:
    """Beat: give a second chance to rows whose worker died or whose message was lost."""
    now = timezone.now()
    stale_running = Q(status=Submission.RUNNING,
                      heartbeat_at__lt=now - timedelta(seconds=settings.GRADER_STALE_RUNNING_S))
    forgotten_queued = Q(status=Submission.QUEUED) & (
        Q(heartbeat_at__lt=now - timedelta(seconds=settings.GRADER_STUCK_AFTER_S))
        | Q(heartbeat_at__isnull=True, created_at__lt=now - timedelta(seconds=settings.GRADER_STUCK_AFTER_S))
    )
    ids = list(Submission.objects.filter(stale_running | forgotten_queued).values_list("pk", flat=True)[:500])
    for pk in ids:
        # Conditional again: a worker may have finished the row since we looked.
        touched = Submission.objects.filter(Q(pk=pk) & (stale_running | forgotten_queued)).update(
            status=Submission.QUEUED, heartbeat_at=now
        )
        if touched:
            enqueue(pk)
    if ids:
        log.info("requeued %d stuck submissions", len(ids))
    return len(ids)
