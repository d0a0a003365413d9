r"""The status machine: every status a submission or a review can have, the moves
between them, and the only functions that change a status.

A notebook submission:

    queued --claim--> running --result--> graded | failed
      ^                  |  \--system fault (retried)--> queued (a starved host's: attempt refunded)
      |                  |  \--given up, or poison------> error
      |                  \--worker silent (sweeper)-----> queued
      \--------- regrade (a person) --- graded | failed | error | queued

A queued row is sent to the broker by the dispatcher in its turn (coursework.grading.
dispatch; `sent_at` marks it sent), so the broker holds only what workers start next.

`failed` is the student's notebook (a clear message, never retried); `error` is the
system's (retried, then shown to TAs, never charged to the student). A notebook that
kills its worker the same way every time would loop through the sweeper forever: each
claim counts an attempt, and past settings.GRADER_MAX_ATTEMPTS the row ends as `error`.

A review (synthesis answers, an essay set): draft -> submitted -> reviewed | resubmit,
and resubmit -> submitted again; a TA may review a reviewed item again.

An appeal (a student's regrade request): open -> answered. A notification's e-mail:
pending -> sending -> sent (or skipped, or back to pending after a failure). A graded
notebook's page that could not be drawn in full: pending -> rendering -> done | failed
(or back to pending for another try).

Every change is a conditional UPDATE (WHERE the status is one the move starts from), so
two workers, or a worker and a person, can never both win.

Times that decide whether a worker is alive (heartbeats, the sweeper's checks) come from
the database's clock, never a host's: a worker host whose clock is minutes off must not
look dead, nor make a dead one look alive.
"""
from __future__ import annotations

from datetime import timedelta

from django.apps import apps
from django.conf import settings
from django.db import models
from django.db.models import DateTimeField, ExpressionWrapper, F, Q
from django.db.models.functions import Now


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


class FlagDecision(models.TextChoices):
    """A TA's decision on a flagged run (Submission.flag_resolution)."""

    OPEN = "", "open"  # flagged, not decided yet: does not count until cleared
    CLEARED = "cleared"  # counts
    UPHELD = "upheld"  # does not count

SUBMISSION_MOVES = {
    SubmissionStatus.QUEUED: {SubmissionStatus.RUNNING, SubmissionStatus.ERROR, SubmissionStatus.QUEUED},
    SubmissionStatus.RUNNING: {SubmissionStatus.GRADED, SubmissionStatus.FAILED, SubmissionStatus.ERROR,
                               SubmissionStatus.QUEUED},
    SubmissionStatus.GRADED: {SubmissionStatus.QUEUED},
    SubmissionStatus.FAILED: {SubmissionStatus.QUEUED},
    SubmissionStatus.ERROR: {SubmissionStatus.QUEUED},
}


class RenderStatus(models.TextChoices):
    """The executed notebook's page of a graded run (see "the executed notebook's page" below)."""
    DONE = "done"  # nothing owed: the page is stored as drawn, or the run has no page to draw again
    PENDING = "pending"  # to be drawn again from the stored executed notebook
    RENDERING = "rendering"  # a worker is drawing it
    FAILED = "failed"  # given up: render_problem says why, naming the cell


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
    # Looked up, not imported: models import this module for their status choices. Every
    # run, checks included: they take their turn and move like any other.
    return apps.get_model("coursework", "Submission").all_runs


def _ago(seconds: float):
    """The database's now minus `seconds`, for comparisons made in SQL."""
    return ExpressionWrapper(Now() - timedelta(seconds=seconds), output_field=DateTimeField())


def _in(seconds: float):
    """The database's now plus `seconds`."""
    return ExpressionWrapper(Now() + timedelta(seconds=seconds), output_field=DateTimeField())


def claim(submission_id: int) -> int | None:
    """queued -> running for one more attempt; return that attempt's number, or None.

    A row that has used up its attempts since a person last queued it ends as `error`
    instead: a notebook that crashes the worker the same way every time must stop.
    """
    now = Now()
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
    return bool(owned_by_attempt(submission_id, attempt).update(heartbeat_at=Now()))


def finish(submission_id: int, attempt: int, status: str, page_problem: str = "", page_due_s: float | None = None,
           **fields) -> bool:
    """running -> graded | failed | error, with the result's fields, if this attempt still owns the row.

    `page_problem`: why a graded run's page is missing or partial; its page is then owed
    (render pending), to be drawn again after commit and by the sweeper. `page_due_s`: the
    page is owed, and the sweeper draws it after this many seconds (by default
    GRADER_RENDER_RETRY_S); with no problem, the run is still drawing it (the score is stored
    first): pending with render_problem "" until store_run_page."""
    if status not in SUBMISSION_MOVES[SubmissionStatus.RUNNING] or status == SubmissionStatus.QUEUED:
        raise InvalidMove(f"a run cannot end as {status!r}")
    if (page_problem or page_due_s is not None) and status != SubmissionStatus.GRADED:
        raise InvalidMove("only a graded run's page is drawn again; a failed run's message says why it is missing")
    fields.setdefault("finished_at", Now())
    if page_problem or page_due_s is not None:
        # The task sent on commit draws it at once; the sweeper steps in only if that message is lost.
        fields.update(render_status=RenderStatus.PENDING, render_problem=page_problem, render_attempts=0,
                      render_next_try_at=_in(settings.GRADER_RENDER_RETRY_S if page_due_s is None else page_due_s),
                      render_heartbeat_at=None)
    return bool(owned_by_attempt(submission_id, attempt).update(status=status, **fields))


def release(submission_id: int, attempt: int, refund_attempt: bool = False) -> bool:
    """running -> queued after a system fault: the task's own retry message is on its way
    (so the row counts as sent), and the sweeper resends it if that message is lost.

    refund_attempt: the run ended for the host's sake (it was starved), so it does not
    count among the notebook's attempts. The floor moves up rather than the count down:
    attempt numbers stay unique, so this run can never write over the next one. The
    task's own retry count still bounds how often that happens."""
    floor = {"attempt_floor": F("attempt_floor") + 1} if refund_attempt else {}
    return bool(owned_by_attempt(submission_id, attempt).update(status=SubmissionStatus.QUEUED,
                                                                heartbeat_at=Now(), sent_at=Now(), **floor))


def stuck() -> Q:
    """Rows whose worker went silent, or whose message was lost on the way to a worker.

    A queued row that was never sent is not stuck: it waits its turn in the dispatcher.
    """
    stale_running = Q(status=SubmissionStatus.RUNNING, heartbeat_at__lt=_ago(settings.GRADER_STALE_RUNNING_S))
    lost_message = Q(status=SubmissionStatus.QUEUED, sent_at__lt=_ago(settings.GRADER_STUCK_AFTER_S))
    return stale_running | lost_message


def requeue_if_stuck(submission_id: int) -> bool:
    """running (silent) | queued (message lost) -> queued and not sent, if it still is stuck
    when we get there: the dispatcher sends it again in its turn."""
    return bool(_submissions().filter(Q(pk=submission_id) & stuck()).update(
        status=SubmissionStatus.QUEUED, heartbeat_at=Now(), sent_at=None))


def waiting_in_broker() -> Q:
    """Queued rows whose message was sent and not yet claimed by a worker."""
    return Q(status=SubmissionStatus.QUEUED, sent_at__isnull=False)


def mark_sent(submission_ids) -> list[int]:
    """Queued and not sent -> queued and sent, for the dispatcher; returns the ids it marked
    (another dispatcher, or a claim, may have taken some first). Call inside a transaction."""
    wanted = list(submission_ids)
    rows = _submissions().filter(pk__in=wanted, status=SubmissionStatus.QUEUED, sent_at__isnull=True)
    marked = set(rows.select_for_update().values_list("pk", flat=True))
    _submissions().filter(pk__in=marked).update(sent_at=Now())
    return [pk for pk in wanted if pk in marked]  # in the order asked: the order they are sent


def unmark_sent(submission_id: int) -> bool:
    """Queued and sent -> queued and not sent, when the broker refused the message: the
    row goes back into the dispatcher's queue, in its turn, instead of waiting for the sweeper."""
    return bool(_submissions().filter(pk=submission_id, status=SubmissionStatus.QUEUED, sent_at__isnull=False)
                .update(sent_at=None))


# What a regrade clears: the last run's result and a TA's decision on its flag (a new
# run earns a new decision).
RESULT_FIELDS_CLEARED = dict(
    message="", accuracy=None, public_accuracy=None, private_accuracy=None, score=None, feedback={}, flagged=False,
    flag_reason="", log_tail="", run_seconds=None, peak_memory_mb=None, started_at=None, finished_at=None,
    heartbeat_at=None, sent_at=None, executed_html="", confusion_png="", gallery_png="", public_gallery_png=None,
    flag_resolution="",
    flag_resolved_by=None, flag_resolved_at=None,
    executed_notebook="", render_status=RenderStatus.DONE, render_attempts=0, render_next_try_at=None,
    render_heartbeat_at=None, render_problem="",
)


def requeue_for_regrade(submission_ids, queued_by=None) -> list[int]:
    """finished | queued -> queued, result cleared, attempts counted afresh, in the queue of
    the person who asked (so a TA's batch takes turns with the students' uploads). Running
    rows are left alone (their run ends first). Call inside a transaction; returns the ids queued."""
    sources = _sources(SUBMISSION_MOVES, SubmissionStatus.QUEUED)
    sources.remove(SubmissionStatus.RUNNING)
    rows = _submissions().filter(pk__in=list(submission_ids), status__in=sources)
    ids = list(rows.select_for_update().values_list("pk", flat=True))
    _submissions().filter(pk__in=ids, status__in=sources).update(
        status=SubmissionStatus.QUEUED, attempt_floor=F("attempts"), queued_by=queued_by, queued_at=Now(),
        **RESULT_FIELDS_CLEARED)
    return ids


# --- the executed notebook's page --------------------------------------------------------
#
#     pending --claim--> rendering --drawn whole--> done
#        ^                   |  \--a cell it cannot show, too large, or out of tries--> failed
#        \--- a try that ran out of time or died (after a pause) / a worker gone silent
#
# A graded run whose page could not be drawn in full keeps its grade; the page is owed
# (`finish(..., page_problem=...)`) and drawn again from the stored executed notebook by a
# Celery task sent on commit, and by the sweeper when it is due. Only a graded row's page
# moves, and only for the run that graded it (`attempts`): a regrade clears it, and a
# worker still drawing the old run's page can never write over the new one.


def _owed_pages():
    return _submissions().filter(status=SubmissionStatus.GRADED)


def claim_render(submission_id: int) -> tuple[int, int] | None:
    """pending -> rendering, one more try counted; return (the run's attempt, this try's
    number), or None. A page whose tries are used up (its workers died each time) ends
    failed instead, keeping the last reason."""
    rows = _owed_pages().filter(pk=submission_id, render_status=RenderStatus.PENDING)
    claimed = rows.filter(render_attempts__lt=settings.GRADER_RENDER_MAX_ATTEMPTS).update(
        render_status=RenderStatus.RENDERING, render_attempts=F("render_attempts") + 1, render_heartbeat_at=Now())
    if claimed:
        return tuple(_submissions().values_list("attempts", "render_attempts").get(pk=submission_id))
    rows.update(render_status=RenderStatus.FAILED, render_next_try_at=None)
    return None


def rendering_by(submission_id: int, attempt: int, render_attempt: int):
    """The row while this try still owns its page."""
    return _owed_pages().filter(pk=submission_id, attempts=attempt, render_status=RenderStatus.RENDERING,
                                render_attempts=render_attempt)


def render_beat(submission_id: int, attempt: int, render_attempt: int) -> bool:
    return bool(rendering_by(submission_id, attempt, render_attempt).update(render_heartbeat_at=Now()))


def finish_render(submission_id: int, attempt: int, render_attempt: int, outcome: str,
                  problem: str | None = None, **fields) -> bool:
    """rendering -> done (drawn whole) | failed | pending (tried again after
    GRADER_RENDER_RETRY_S, or failed if this was the last try allowed), with the page's
    fields, if this try still owns it. `problem` says why the page is missing or partial
    (None: the reason stays as it was, as after a fault of ours)."""
    if outcome not in (RenderStatus.DONE, RenderStatus.FAILED, RenderStatus.PENDING):
        raise InvalidMove(f"drawing a page cannot end as {outcome!r}")
    if outcome == RenderStatus.PENDING and render_attempt >= settings.GRADER_RENDER_MAX_ATTEMPTS:
        outcome = RenderStatus.FAILED
    if outcome == RenderStatus.DONE:
        problem = ""
    if problem is not None:
        fields["render_problem"] = problem
    later = _in(settings.GRADER_RENDER_RETRY_S) if outcome == RenderStatus.PENDING else None
    return bool(rendering_by(submission_id, attempt, render_attempt).update(
        render_status=outcome, render_next_try_at=later, **fields))


def store_run_page(submission_id: int, attempt: int, problem: str, **fields) -> bool:
    """pending with no problem (the page the run itself is drawing, after its score was
    stored) -> done when `problem` is "" | pending and due now otherwise (drawn again by the
    task and the sweeper), with the page's fields, if the page is still this run's (not
    regraded, not taken by the sweeper meanwhile)."""
    rows = _owed_pages().filter(pk=submission_id, attempts=attempt, render_status=RenderStatus.PENDING,
                                render_attempts=0, render_problem="")
    if problem:
        return bool(rows.update(render_problem=problem, render_next_try_at=Now(), **fields))
    return bool(rows.update(render_status=RenderStatus.DONE, render_problem="", render_next_try_at=None, **fields))


def store_pictures(submission_id: int, attempt: int, **fields) -> bool:
    """A graded run's pictures, drawn after its score was stored, if the row is still that
    run's and has none yet (a second drawing, or one after a regrade, stores nothing)."""
    return bool(_owed_pages().filter(pk=submission_id, attempts=attempt, confusion_png="").update(**fields))


def renders_due() -> Q:
    """Pages the sweeper sends: pending and due (a try's pause is over, or the message that
    should have drawn it was lost), or rendering with a worker silent for too long."""
    return Q(status=SubmissionStatus.GRADED) & (
        Q(render_status=RenderStatus.PENDING, render_next_try_at__lte=Now())
        | Q(render_status=RenderStatus.RENDERING, render_heartbeat_at__lt=_ago(settings.GRADER_STALE_RUNNING_S)))


def take_due_render(submission_id: int) -> bool:
    """pending and due | rendering and silent -> pending, due again only after the pause: the
    sweeper sends one message per pause, however long the workers are busy."""
    return bool(_submissions().filter(Q(pk=submission_id) & renders_due()).update(
        render_status=RenderStatus.PENDING, render_next_try_at=_in(settings.GRADER_RENDER_RETRY_S)))


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
    DIGEST = "digest"  # held for the student's daily digest (coursework.services.digests)


def _notifications():
    return apps.get_model("coursework", "Notification").objects


def claim_email(notification_id: int) -> bool:
    """pending -> sending, one more attempt counted. (When to try is the sweeper's to decide:
    it sends only rows whose pause is over; a task that arrives finds any pending row.)
    Times are the database's, as for grading: a worker's clock may be off."""
    return bool(_notifications().filter(pk=notification_id, email_status=EmailStatus.PENDING).update(
        email_status=EmailStatus.SENDING, email_claimed_at=Now(), email_attempts=F("email_attempts") + 1))


def email_sent(notification_id: int) -> bool:
    return bool(_notifications().filter(pk=notification_id, email_status=EmailStatus.SENDING).update(
        email_status=EmailStatus.SENT, emailed_at=Now(), email_error=""))


def email_skipped(notification_id: int) -> bool:
    return bool(_notifications().filter(pk=notification_id, email_status=EmailStatus.SENDING).update(
        email_status=EmailStatus.SKIPPED))


def email_failed_once(notification_id: int, error: str) -> bool:
    """sending -> pending, to be tried again after a pause that grows with each failure;
    -> failed once the attempts are used up."""
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
                            email_next_try_at=_in(pause)))


def emails_due() -> Q:
    """Rows the sweeper sends: pending and due (a failure's pause is over, or the message
    that should have sent it was lost), or sending with a worker silent for too long."""
    return (Q(email_status=EmailStatus.PENDING, email_next_try_at__lte=Now())
            | Q(email_status=EmailStatus.SENDING, email_claimed_at__lt=_ago(settings.NOTIFICATION_EMAIL_STALE_S)))


def release_silent_email(notification_id: int) -> bool:
    """sending (its worker went silent mid-send) -> pending, so it is tried again. The
    e-mail carries a Message-ID of its own, so a copy that did leave is recognised."""
    return bool(_notifications().filter(pk=notification_id, email_status=EmailStatus.SENDING,
                                        email_claimed_at__lt=_ago(settings.NOTIFICATION_EMAIL_STALE_S)).update(
        email_status=EmailStatus.PENDING, email_next_try_at=Now()))
