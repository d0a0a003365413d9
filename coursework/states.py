r"""The status machine: every status a submission or a review can have, the moves
between them, and the only functions that change a status.

A notebook submission:

    queued --claim--> running --result--> graded | failed
      ^                  |  \--system fault (retried)--> queued
      |                  |  \--given up, or poison------> error
      |                  \--worker silent (sweeper)-----> queued
      \--------- regrade (a person) --- graded | failed | error | queued

`failed` is the student's notebook (a clear message, never retried); `error` is the
system's (retried, then shown to TAs, never charged to the student). A notebook that
kills its worker the same way every time would loop through the sweeper forever: each
claim counts an attempt, and past settings.GRADER_MAX_ATTEMPTS the row ends as `error`.

A review (synthesis answers, an essay set): draft -> submitted -> reviewed | resubmit,
and resubmit -> submitted again; a TA may review a reviewed item again.

An appeal (a student's regrade request): open -> answered. A notification's e-mail:
pending -> sending -> sent (or skipped, or back to pending after a failure).

Every change is a conditional UPDATE (WHERE the status is one the move starts from), so
two workers, or a worker and a person, can never both win.
"""
from __future__ import annotations

from datetime import timedelta

from django.apps import apps
from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone


class SubmissionStatus(models.TextChoices):
    QUEUED = "queued"
    RUNNING = "running"
    GRADED = "graded"
    FAILED = "failed"  # the student's notebook caused it: a clear message, never retried
    ERROR = "error"  # the system caused it: retried, then shown to TAs


PENDING = (SubmissionStatus.QUEUED, SubmissionStatus.RUNNING)
FINISHED = (SubmissionStatus.GRADED, SubmissionStatus.FAILED, SubmissionStatus.ERROR)
# What a TA must look at: the notebook queue (written as its partial index is).
PROBLEMS = (SubmissionStatus.FAILED, SubmissionStatus.ERROR)

SUBMISSION_MOVES = {
    SubmissionStatus.QUEUED: {SubmissionStatus.RUNNING, SubmissionStatus.ERROR, SubmissionStatus.QUEUED},
    SubmissionStatus.RUNNING: {SubmissionStatus.GRADED, SubmissionStatus.FAILED, SubmissionStatus.ERROR,
                               SubmissionStatus.QUEUED},
    SubmissionStatus.GRADED: {SubmissionStatus.QUEUED},
    SubmissionStatus.FAILED: {SubmissionStatus.QUEUED},
    SubmissionStatus.ERROR: {SubmissionStatus.QUEUED},
}


class ReviewStatus(models.TextChoices):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    REVIEWED = "reviewed"
    RESUBMIT = "resubmit", "resubmission requested"


REVIEW_MOVES = {
    ReviewStatus.DRAFT: {ReviewStatus.DRAFT, ReviewStatus.SUBMITTED},
    ReviewStatus.SUBMITTED: {ReviewStatus.SUBMITTED, ReviewStatus.REVIEWED, ReviewStatus.RESUBMIT},
    ReviewStatus.RESUBMIT: {ReviewStatus.RESUBMIT, ReviewStatus.SUBMITTED, ReviewStatus.REVIEWED},
    ReviewStatus.REVIEWED: {ReviewStatus.REVIEWED, ReviewStatus.RESUBMIT},
}
# What a student may still change: anything a TA has not closed.
REVIEW_EDITABLE = (ReviewStatus.DRAFT, ReviewStatus.SUBMITTED, ReviewStatus.RESUBMIT)
REVIEW_QUEUE_STATUSES = (ReviewStatus.SUBMITTED, ReviewStatus.REVIEWED, ReviewStatus.RESUBMIT)


class InvalidMove(Exception):
    """A status change the machine does not allow (a bug, or a race a person lost)."""


def _sources(moves: dict, target: str) -> list[str]:
    return [source for source, targets in moves.items() if target in targets]


# --- submissions: each function is one conditional UPDATE --------------------------------


def _submissions():
    # Looked up, not imported: models import this module for their status choices.
    return apps.get_model("coursework", "Submission").objects


def claim(submission_id: int) -> int | None:
    """queued -> running for one more attempt; return that attempt's number, or None.

    A row that has used up its attempts since a person last queued it ends as `error`
    instead: a notebook that crashes the worker the same way every time must stop.
    """
    now = timezone.now()
    rows = _submissions().filter(pk=submission_id, status=SubmissionStatus.QUEUED)
    claimed = rows.filter(attempts__lt=F("attempt_floor") + settings.GRADER_MAX_ATTEMPTS).update(
        status=SubmissionStatus.RUNNING, attempts=F("attempts") + 1, started_at=now, heartbeat_at=now)
    if claimed:
        return _submissions().values_list("attempts", flat=True).get(pk=submission_id)
    rows.update(
        status=SubmissionStatus.ERROR, finished_at=now,
        message=f"The grader stopped {settings.GRADER_MAX_ATTEMPTS} times while grading this notebook, so it was "
                "set aside for staff instead of being tried again. This does not count against your uploads.",
        log_tail=f"[grader] given up after {settings.GRADER_MAX_ATTEMPTS} attempts that did not finish "
                 "(the worker died or stalled each time)",
    )
    return None


def owned_by_attempt(submission_id: int, attempt: int):
    """The row while this attempt still owns it: a zombie worker can never overwrite a newer attempt."""
    return _submissions().filter(pk=submission_id, status=SubmissionStatus.RUNNING, attempts=attempt)


def beat(submission_id: int, attempt: int) -> bool:
    """A sign of life from the attempt that owns the row (the sweeper requeues silent ones)."""
    return bool(owned_by_attempt(submission_id, attempt).update(heartbeat_at=timezone.now()))


def finish(submission_id: int, attempt: int, status: str, **fields) -> bool:
    """running -> graded | failed | error, with the result's fields, if this attempt still owns the row."""
    if status not in SUBMISSION_MOVES[SubmissionStatus.RUNNING] or status == SubmissionStatus.QUEUED:
        raise InvalidMove(f"a run cannot end as {status!r}")
    fields.setdefault("finished_at", timezone.now())
    return bool(owned_by_attempt(submission_id, attempt).update(status=status, **fields))


def release(submission_id: int, attempt: int) -> bool:
    """running -> queued after a system fault, so the retry (or the sweeper) can claim it again."""
    return bool(owned_by_attempt(submission_id, attempt).update(status=SubmissionStatus.QUEUED,
                                                                heartbeat_at=timezone.now()))


def stuck(now=None) -> Q:
    """Rows whose worker went silent, or whose message was lost on the way to a worker."""
    now = now or timezone.now()
    stale_running = Q(status=SubmissionStatus.RUNNING,
                      heartbeat_at__lt=now - timedelta(seconds=settings.GRADER_STALE_RUNNING_S))
    forgotten = now - timedelta(seconds=settings.GRADER_STUCK_AFTER_S)
    forgotten_queued = Q(status=SubmissionStatus.QUEUED) & (
        Q(heartbeat_at__lt=forgotten) | Q(heartbeat_at__isnull=True, created_at__lt=forgotten))
    return stale_running | forgotten_queued


def requeue_if_stuck(submission_id: int) -> bool:
    """running (silent) | queued (forgotten) -> queued, if it still is stuck when we get there."""
    now = timezone.now()
    return bool(_submissions().filter(Q(pk=submission_id) & stuck(now)).update(
        status=SubmissionStatus.QUEUED, heartbeat_at=now))


# What a regrade clears: the last run's result and a TA's decision on its flag (a new
# run earns a new decision).
RESULT_FIELDS_CLEARED = dict(
    message="", accuracy=None, public_accuracy=None, private_accuracy=None, score=None, feedback={}, flagged=False,
    flag_reason="", log_tail="", run_seconds=None, peak_memory_mb=None, started_at=None, finished_at=None,
    heartbeat_at=None, executed_html="", confusion_png="", gallery_png="", flag_resolution="",
    flag_resolved_by=None, flag_resolved_at=None,
)


def requeue_for_regrade(submission_ids) -> list[int]:
    """finished | queued -> queued, result cleared, attempts counted afresh. Running rows are
    left alone (their run ends first). Call inside a transaction; returns the ids queued."""
    sources = _sources(SUBMISSION_MOVES, SubmissionStatus.QUEUED)
    sources.remove(SubmissionStatus.RUNNING)
    rows = _submissions().filter(pk__in=list(submission_ids), status__in=sources)
    ids = list(rows.select_for_update().values_list("pk", flat=True))
    _submissions().filter(pk__in=ids, status__in=sources).update(
        status=SubmissionStatus.QUEUED, attempt_floor=F("attempts"), **RESULT_FIELDS_CLEARED)
    return ids


# --- reviews ----------------------------------------------------------------------------


def move_review(item, target: str) -> None:
    """Set a synthesis response's or essay set's status, if the machine allows the move
    (the caller saves the item, under select_for_update when a race matters)."""
    if target not in REVIEW_MOVES.get(item.status, ()):
        raise InvalidMove(f"{type(item).__name__} {item.pk}: {item.status!r} cannot become {target!r}")
    item.status = target


def review_editable(item) -> bool:
    return item.status in REVIEW_EDITABLE


# --- appeals (regrade requests) ---------------------------------------------------------
#
#     open --a TA answers--> answered
#
# One open appeal per item at a time (a partial unique constraint); the answer is final,
# and a student who still disagrees files a new one.


class AppealStatus(models.TextChoices):
    OPEN = "open"
    ANSWERED = "answered"


APPEAL_MOVES = {AppealStatus.OPEN: {AppealStatus.ANSWERED}, AppealStatus.ANSWERED: set()}
# What may be appealed: reviewed work (with or without a resubmission request), and a
# notebook the grader finished with the student's result.
REVIEW_APPEALABLE = (ReviewStatus.REVIEWED, ReviewStatus.RESUBMIT)
SUBMISSION_APPEALABLE = (SubmissionStatus.GRADED, SubmissionStatus.FAILED)


def review_appealable(item) -> bool:
    """A student may ask for a second look once a TA has reviewed the work."""
    return item.status in REVIEW_APPEALABLE


def submission_appealable(submission) -> bool:
    return submission.status in SUBMISSION_APPEALABLE


def move_appeal(appeal, target: str) -> None:
    """Set an appeal's status if the machine allows it (the caller saves it under select_for_update)."""
    if target not in APPEAL_MOVES.get(appeal.status, ()):
        raise InvalidMove(f"appeal {appeal.pk}: {appeal.status!r} cannot become {target!r}")
    appeal.status = target


# --- the notification e-mail outbox -----------------------------------------------------
#
#     pending --claim--> sending --sent--> sent
#        ^                  |  \--e-mail turned off meanwhile--> skipped
#        \---- a failure (tried again later) / a worker that went silent
#     pending --too many failures--> failed
#
# A notification row is created with its event, in the same transaction; its e-mail is
# sent by a Celery task after commit. The claim is a conditional UPDATE, so a task
# delivered twice, or a task and the sweeper, never both send it.


class EmailStatus(models.TextChoices):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    SKIPPED = "skipped"  # the student turned e-mail off
    FAILED = "failed"  # gave up after settings.NOTIFICATION_EMAIL_MAX_ATTEMPTS


def _notifications():
    return apps.get_model("coursework", "Notification").objects


def claim_email(notification_id: int) -> bool:
    """pending -> sending, one more attempt counted. (When to try is the sweeper's to decide:
    it sends only rows whose pause is over; a task that arrives finds any pending row.)"""
    now = timezone.now()
    return bool(_notifications().filter(pk=notification_id, email_status=EmailStatus.PENDING).update(
        email_status=EmailStatus.SENDING, email_claimed_at=now, email_attempts=F("email_attempts") + 1))


def email_sent(notification_id: int) -> bool:
    return bool(_notifications().filter(pk=notification_id, email_status=EmailStatus.SENDING).update(
        email_status=EmailStatus.SENT, emailed_at=timezone.now(), email_error=""))


def email_skipped(notification_id: int) -> bool:
    return bool(_notifications().filter(pk=notification_id, email_status=EmailStatus.SENDING).update(
        email_status=EmailStatus.SKIPPED))


def email_failed_once(notification_id: int, error: str) -> bool:
    """sending -> pending, to be tried again after a pause that grows with each failure;
    -> failed once the attempts are used up."""
    now = timezone.now()
    rows = _notifications().filter(pk=notification_id, email_status=EmailStatus.SENDING)
    given_up = rows.filter(email_attempts__gte=settings.NOTIFICATION_EMAIL_MAX_ATTEMPTS).update(
        email_status=EmailStatus.FAILED, email_error=error[:2000])
    if given_up:
        return True
    attempts = rows.values_list("email_attempts", flat=True).first()
    if attempts is None:
        return False
    pause = min(3600, settings.NOTIFICATION_EMAIL_RETRY_S * 2 ** (attempts - 1))
    return bool(rows.update(email_status=EmailStatus.PENDING, email_error=error[:2000],
                            email_next_try_at=now + timedelta(seconds=pause)))


def emails_due(now=None) -> Q:
    """Rows the sweeper sends: pending and due (a failure's pause is over, or the message
    that should have sent it was lost), or sending with a worker silent for too long."""
    now = now or timezone.now()
    silent = now - timedelta(seconds=settings.NOTIFICATION_EMAIL_STALE_S)
    return (Q(email_status=EmailStatus.PENDING, email_next_try_at__lte=now)
            | Q(email_status=EmailStatus.SENDING, email_claimed_at__lt=silent))


def release_silent_email(notification_id: int) -> bool:
    """sending (its worker went silent mid-send) -> pending, so it is tried again. The
    e-mail carries a Message-ID of its own, so a copy that did leave is recognised."""
    silent = timezone.now() - timedelta(seconds=settings.NOTIFICATION_EMAIL_STALE_S)
    return bool(_notifications().filter(pk=notification_id, email_status=EmailStatus.SENDING,
                                        email_claimed_at__lt=silent).update(
        email_status=EmailStatus.PENDING, email_next_try_at=timezone.now()))
