"""Celery tasks. Each takes a primary key, claims its row, and is safe to run twice."""
from __future__ import annotations

import functools
import logging
import smtplib
import threading

from celery import shared_task
from celery.signals import worker_process_init, worker_ready
from django.conf import settings
from django.db import DatabaseError, connection

from grader import cgroups
from grader.errors import HostBusy, SystemFault

from . import states
from .grading import dispatch, job, store
from .models import Notification, Submission
from .services import copies, digests, health, notifications, pages

log = logging.getLogger(__name__)

# Only these are worth another try; a student's failing notebook never is.
TRANSIENT = (SystemFault, *store.UNREACHABLE, OSError)
DATABASE_FAULTS = (DatabaseError, *store.UNREACHABLE)
MAX_SYSTEM_RETRIES = 3


@worker_ready.connect
def report_grading_limits(**_) -> None:
    """Say in the worker's log, as it starts, how this host bounds a job's memory (a
    cgroup, or the watchdog and rlimits only), and remove job cgroups of dead workers."""
    try:
        cgroups.prepared()
    except OSError as exc:  # the worker still grades; each job then tries again
        log.warning("grading resource limits could not be prepared: %s", exc)


@worker_process_init.connect
def warm_for_grading(**_) -> None:
    """Load, in each worker process as it starts, what every grade reads once per process
    (the test set, the nearest-mean baseline, the picture library): else the first score
    a process stores waits for them (2-3 s). Not the reference's figures: a JSON file, and
    an untrained reference is trained by the first job, never by two at once. On a thread of
    its own, so the process takes its first job at once; a job that comes first computes
    what it needs itself, as it always did."""
    threading.Thread(target=warm_grading, name="warm-for-grading", daemon=True).start()


def warm_grading() -> None:
    from grader import data, feedback

    try:
        data.test_set()
        data.nearest_mean_accuracy()
        feedback.digit_png(data.test_set()[0][0])  # the first PNG imports PIL's encoder
    except Exception:  # each job tries again, and says what is wrong where it matters
        log.exception("warming this worker process for grading failed")


class Heartbeat:
    """Signs of life for the whole job, from claim to stored result (running the notebook,
    drawing the pictures, writing files), on a thread of its own: the sweeper requeues
    a running row whose heartbeat is older than GRADER_STALE_RUNNING_S, so a job must
    never go quiet while it is still working."""

    def __init__(self, submission_id: int, attempt: int, every_s: float | None = None, beat=None):
        self.submission_id, self.attempt = submission_id, attempt
        self.every_s = settings.GRADER_HEARTBEAT_S if every_s is None else every_s
        self.beat = beat  # beat(submission_id, attempt); None: the grading run's (looked up when it beats)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"heartbeat-{submission_id}", daemon=True)

    def _run(self) -> None:
        pause = self.every_s
        try:
            while not self._stop.wait(pause):
                try:
                    (self.beat or states.beat)(self.submission_id, self.attempt)
                    pause = self.every_s
                except DATABASE_FAULTS as exc:
                    # Beat again soon, on a new connection (a restart or a failover drops the
                    # old one), before the row looks silent. If the database stays away, the
                    # sweeper takes over.
                    log.warning("heartbeat of submission %s failed: %s", self.submission_id, exc)
                    store.reopen_connection()
                    pause = min(self.every_s, 1.0)
        finally:
            connection.close()  # this thread's own connection

    def __enter__(self) -> "Heartbeat":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


@shared_task(
    bind=True,
    acks_late=True,
    # Headroom above the longest run the settings allow (its wall-clock backstop): the
    # run's own limits stop a notebook first, these only stop a worker that hangs outside it.
    soft_time_limit=settings.GRADER_MAX_RUN_WALL_S + 300,
    time_limit=settings.GRADER_MAX_RUN_WALL_S + 600,
)
def grade_submission(self, submission_id: int) -> str:
    attempt = states.claim(submission_id)
    if attempt is None:
        return "not claimed (already taken, finished, or out of attempts)"
    dispatch.dispatch_quietly()  # this slot is taken: the broker gets the next one in turn
    with Heartbeat(submission_id, attempt):
        try:
            return job.run(submission_id, attempt)
        except TRANSIENT as exc:
            return _system_fault(self, submission_id, attempt, exc)
        except Exception as exc:
            # Our own bug, not the student's and not worth a blind retry: the row ends as
            # `error` with the cause for TAs (who regrade once it is fixed), and the worker
            # goes on to the next job.
            log.exception("grading submission %s attempt %s failed unexpectedly", submission_id, attempt)
            store.give_up(submission_id, attempt, exc)
            return states.SubmissionStatus.ERROR


def _system_fault(task, submission_id: int, attempt: int, exc: Exception) -> str:
    busy = isinstance(exc, HostBusy)
    # "host busy": the job was starved of CPU; worth watching as a sign the workers need a host of their own.
    log.warning("grading submission %s attempt %s hit a system fault%s: %s", submission_id, attempt,
                " (host busy)" if busy else "", exc)
    if task.request.retries >= MAX_SYSTEM_RETRIES:
        store.give_up(submission_id, attempt, exc)
        return states.SubmissionStatus.ERROR
    try:
        states.release(submission_id, attempt, refund_attempt=busy)
    except DATABASE_FAULTS:
        pass  # the sweeper will find the row once its heartbeat is stale
    raise task.retry(countdown=min(300, 10 * 3**task.request.retries), exc=exc)


@shared_task(acks_late=True, soft_time_limit=300, time_limit=360)
def check_copies(submission_id: int) -> int:
    """Flag a stored grade and the other students' uploads it copies or was copied by
    (coursework.services.copies). Safe to run twice: a recorded match changes nothing."""
    return copies.check(submission_id)


@shared_task
def requeue_stuck() -> int:
    """Beat: give a second chance to rows whose worker died or whose message was lost, then
    send what the broker has room for (uploads that came while it was down, among them)."""
    rows = list(Submission.all_runs.filter(states.stuck()).values_list("pk", "status")[:500])
    requeued = [(pk, status) for pk, status in rows if states.requeue_if_stuck(pk)]  # a worker may have finished it
    if requeued:
        # Told apart in the log: a silent worker is a fault to look into; an unclaimed message
        # is usually only one that waited behind busy workers, sent again at no cost.
        silent = sum(1 for _, status in requeued if status == states.SubmissionStatus.RUNNING)
        log.info("requeued %d stuck submissions: %d whose worker went silent, %d whose message was not claimed",
                 len(requeued), silent, len(requeued) - silent)
    dispatch.dispatch()
    # Last: a heartbeat means the whole sweep ran (beat sent it, the broker carried it, a
    # worker finished it). Its age is a metric with an alert (config/monitoring).
    health.heartbeat("sweep")
    return len(requeued)


@shared_task(
    acks_late=True,
    # Headroom above the longest drawing the settings allow: the renderer's own budget and
    # the worker's kill of its sandbox stop it first.
    soft_time_limit=settings.GRADER_MAX_TOTAL_TIMEOUT_S + 300,
    time_limit=settings.GRADER_MAX_TOTAL_TIMEOUT_S + 600,
)
def render_page_again(submission_id: int) -> str:
    """Draw again the page of a graded run that could not be drawn in full. The claim is
    conditional, so a second delivery (or the sweeper's message) finds nothing to draw."""
    claimed = states.claim_render(submission_id)
    if claimed is None:
        return "not claimed (drawn, being drawn, given up, regraded, or out of tries)"
    attempt, render_attempt = claimed
    beat = functools.partial(states.render_beat, render_attempt=render_attempt)
    with Heartbeat(submission_id, attempt, beat=beat):
        try:
            return pages.draw_again(submission_id, attempt, render_attempt)
        except Exception:
            # Ours (the sandbox, the database, a bug), not the notebook's: the try counts, the
            # reason the student reads stays as it was, and the sweeper tries again after the
            # pause while tries are left.
            log.exception("drawing the page of submission %s (try %s) failed", submission_id, render_attempt)
            try:
                states.finish_render(submission_id, attempt, render_attempt, states.RenderStatus.PENDING)
            except DATABASE_FAULTS:
                pass  # the sweeper finds the try once its heartbeat is stale
            return "failed this time; the sweeper tries again"


@shared_task
def send_due_pages() -> int:
    """Beat: pages whose earlier try ran out of time (after their pause), whose task message
    was lost, or whose worker went silent mid-drawing."""
    due = list(Submission.all_runs.filter(states.renders_due()).values_list("pk", flat=True)[:500])
    sent = [pk for pk in due if states.take_due_render(pk) and pages.enqueue(pk)]
    return len(sent)


# A mail server that is down, refuses us or times out: the e-mail waits and is tried again.
MAIL_TRANSIENT = (smtplib.SMTPException, OSError)


@shared_task(acks_late=True, soft_time_limit=120, time_limit=180)
def send_notification_email(notification_id: int) -> str:
    """E-mail one notification. The claim is conditional, so a second delivery of this task
    (or the sweeper at the same time) finds nothing to send."""
    if not states.claim_email(notification_id):
        return "not claimed (already sent, being sent, or not due)"
    try:
        return notifications.deliver(notification_id)
    except MAIL_TRANSIENT as exc:
        log.warning("e-mail of notification %s failed, will try again: %s", notification_id, exc)
        states.email_failed_once(notification_id, f"{type(exc).__name__}: {exc}")
        return "failed this time; the sweeper tries again"
    except Exception as exc:
        # Our own bug: counted as an attempt like any failure (so it stops after the allowed
        # attempts), and logged in full for whoever fixes it.
        log.exception("e-mail of notification %s failed unexpectedly", notification_id)
        states.email_failed_once(notification_id, f"{type(exc).__name__}: {exc}")
        return "failed unexpectedly"


@shared_task(soft_time_limit=600, time_limit=660)
def send_digests() -> int:
    """Beat: the daily digests (coursework.services.digests); safe to run twice or at once."""
    return digests.run()


@shared_task
def send_due_emails() -> int:
    """Beat: e-mails whose earlier try failed (after their pause), whose task message was
    lost, or whose worker went silent mid-send."""
    due = list(Notification.objects.filter(states.emails_due()).values_list("pk", "email_status")[:500])
    for pk, status in due:
        if status == states.EmailStatus.SENDING and not states.release_silent_email(pk):
            continue
        notifications.enqueue_email(pk)
    return len(due)


# --- LTI 1.3 grade passback and roster (coursework.services.lti) ---------------------


@shared_task(acks_late=True, soft_time_limit=60, time_limit=90)
def lti_push_score(score_id: int) -> str:
    """Send one learner's score to their LMS: claimed first, so a second delivery sends nothing."""
    from django.utils import timezone

    from .models import LtiScore
    from .services import lti

    outcome = lti.push_score(score_id)
    if outcome == lti.TRIED_AGAIN_LATER:
        # Sent again at its time; if this message is lost, beat's sweep finds the row due.
        due = LtiScore.objects.filter(pk=score_id).values_list("next_try_at", flat=True).first()
        if due is not None:
            lti_push_score.apply_async((score_id,), countdown=max(0.0, (due - timezone.now()).total_seconds()) + 0.5)
    return outcome


@shared_task(acks_late=True, soft_time_limit=300, time_limit=360)
def lti_sync_grades() -> int:
    """Beat: the gradebook's figures into the outbox, and every row due sent."""
    from .services import lti

    due = lti.sync_grades()
    for pk in due:
        lti_push_score.delay(pk)
    return len(due)


@shared_task(acks_late=True, soft_time_limit=300, time_limit=360)
def lti_sync_roster(context_id: int) -> int:
    """An LMS course's members as accounts and memberships here (safe to run twice: it upserts)."""
    from .services import lti

    return lti.sync_roster(context_id)
