"""Grading, the coursework side: sending jobs to the workers, running one job for a row,
storing its result, regrading. The grader library (grader/) runs a notebook and returns
a GradeResult; everything about rows, attempts and the audit trail is here.

The Celery tasks (coursework/tasks.py) call into this module; this module sends them by
name and never imports them, so the two do not depend on each other in a loop.
"""
from __future__ import annotations

import contextlib
import logging
import secrets
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

from celery import current_app
from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, transaction
from django.utils import timezone

from grader import environments
from grader import integrity as grader_integrity
from grader.errors import HostBusy
from grader.limits import Limits
from grader.pipeline import check_notebook_bytes, grade_notebook_bytes
from grader.reference import reference_summary_if_trained
from grader.result import GradeResult
from reference_nn.persist import load_metadata

from .. import states
from . import broker
from ..models import Assignment, Submission
from ..states import SubmissionStatus
from . import integrity, notifications, pages, picture_files, project_files
from .audit import audit_many

log = logging.getLogger(__name__)

GRADE_TASK = "coursework.tasks.grade_submission"
COPY_TASK = "coursework.tasks.check_copies"


def send_grading_task(submission_id: int) -> None:
    current_app.send_task(GRADE_TASK, args=[submission_id])


def send_copy_check(submission_id: int) -> None:
    """Compare a stored grade with other students' (copies.check), after its commit: the
    comparison needs the row as stored, and the grading slot is free for the next notebook."""
    # Lost only until either side is graded again: the later of two copies finds the earlier.
    broker.send_or_leave(COPY_TASK, submission_id, "the copy check of submission")


# Who goes next, in SQL. Each requester's runs asked for in the last GRADER_FAIR_WINDOW_S
# (finished ones too) are numbered in the order they were asked for; unsent queued rows
# go out by (that turn, when queued). A student's second notebook so waits behind every
# other student's first, even once their first is graded, and a TA's regrade of 500
# notebooks is one requester among the students, not 500 rows in front of them.
# The turns themselves (also what the pending page counts its place in the queue by).
RECENT_TURNS = """
    SELECT id, status, sent_at, queued_at,
           ROW_NUMBER() OVER (PARTITION BY queued_by_id ORDER BY queued_at, id) AS turn
    FROM coursework_submission
    WHERE queued_at >= %(since)s OR status IN (%(queued)s, %(running)s)
"""
NEXT_IN_TURN = f"""
SELECT id FROM ({RECENT_TURNS}) AS recent
WHERE status = %(queued)s AND sent_at IS NULL
ORDER BY turn, queued_at, id
LIMIT %(limit)s
"""


def next_in_turn(limit: int) -> list[int]:
    """The ids of the next `limit` queued rows to send, fairly across requesters."""
    since = timezone.now() - timedelta(seconds=settings.GRADER_FAIR_WINDOW_S)
    with connection.cursor() as cursor:
        cursor.execute(NEXT_IN_TURN, {"since": since, "queued": SubmissionStatus.QUEUED.value,
                                      "running": SubmissionStatus.RUNNING.value, "limit": limit})
        return [row[0] for row in cursor.fetchall()]


def _serialise_dispatchers() -> None:
    """One dispatcher at a time, or two could each see the same free room and both fill it.
    SQLite already runs one write transaction at a time (settings: IMMEDIATE)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [DISPATCH_LOCK_KEY])


DISPATCH_LOCK_KEY = 0x6772616465  # any constant this site alone uses


def dispatch() -> int:
    """Send the next grading tasks, as many as the broker should hold; return how many went.

    The Submission row is the outbox, and the broker holds only what a worker will start
    soon: at most GRADER_DISPATCH_AHEAD messages that no worker has claimed yet. Every
    upload, regrade, claim (a slot is taken: top the broker up) and sweep calls this. If
    the broker is down the rows stay queued and unsent, so an upload accepted during a
    Redis outage is graded afterwards, in its turn, not lost.
    """
    with transaction.atomic():
        _serialise_dispatchers()
        room = settings.GRADER_DISPATCH_AHEAD - Submission.all_runs.filter(states.waiting_in_broker()).count()
        ids = states.mark_sent(next_in_turn(room)) if room > 0 else []
    sent = 0
    for pk in ids:
        try:
            send_grading_task(pk)
            sent += 1
        except Exception as exc:  # kombu raises several kinds (OperationalError, ConnectionError, timeouts)
            log.warning("could not send submission %s to the broker (%s); it waits, queued, for the next dispatch",
                        pk, exc)
            for unsent in ids[sent:]:
                states.unmark_sent(unsent)
            break
    return sent


def dispatch_quietly() -> None:
    """dispatch() for paths whose own work is already safe (an upload stored, a claim made):
    a failure here only delays sending, which the sweeper retries."""
    try:
        dispatch()
    except Exception:
        log.exception("dispatching grading tasks failed; the sweeper will try again")


def limits_for(assignment: Assignment) -> Limits:
    """The limits a notebook of this assignment runs under (the defaults, with its overrides)."""
    return Limits.from_settings(assignment.limits)


def libraries_for(assignment: Assignment) -> list[tuple[str, str]]:
    """[(package, version)] a notebook of this assignment can import, for its page."""
    return environments.libraries(assignment.environment)


def reference_accuracy(whole: bool = True) -> float | None:
    """The baseline's test accuracy, from the metadata `train_reference` wrote (None until
    trained); with whole=False, on the public half (from its figures, if computed yet)."""
    if not whole:
        figures = reference_figures()
        return figures["public_accuracy"] if figures else None
    meta = load_metadata(settings.REFERENCE_MODEL_PATH)
    return meta.get("test_accuracy") if meta else None


def reference_figures() -> dict | None:
    """The reference network's figures on the test set, for pages (never trains it)."""
    return reference_summary_if_trained()


def run(submission_id: int, attempt: int) -> str:
    """Grade the notebook of a row this attempt has claimed, and store the result.

    Raises what the task treats as transient (grader.errors.SystemFault, database and
    OS errors); every other ending of the notebook is a stored result."""
    submission = Submission.all_runs.select_related("assignment").get(pk=submission_id)
    # A random name: the sandbox's /proc/self/mountinfo shows where its inputs come from, and
    # a notebook has no business learning its submission id or how often it was tried.
    job_dir = Path(settings.GRADER_WORK_ROOT) / f"job-{secrets.token_hex(8)}"
    log.info("grading submission %s attempt %s in %s", submission_id, attempt, job_dir.name)
    limits = limits_for(submission.assignment)
    try:
        with submission.notebook.open("rb") as fh:
            notebook_bytes = fh.read()
        if submission.is_check:  # a check scores nothing: nothing to screen, and no page owed
            with environments.using(submission.assignment.environment):
                result = check_notebook_bytes(notebook_bytes, job_dir, limits)
            _stored(submission_id, attempt, result, record_result(submission_id, attempt, result))
            return result.status
        # The embedded-data scan (a confined interpreter of its own) needs only the upload:
        # it runs beside the notebook, and the score does not wait for it.
        with ThreadPoolExecutor(1, thread_name_prefix="embedded-scan") as pool:
            scan = pool.submit(grader_integrity.scan_upload, notebook_bytes)
            early = []

            def on_graded(result: GradeResult) -> None:
                # The score, stored and told while the sandbox draws the page.
                result = integrity.screen(result, submission.assignment, notebook_bytes, scan.result())
                early.append(_stored(submission_id, attempt, result,
                                     record_result(submission_id, attempt, result, page_coming=True)))
                if early[0]:
                    _store_pictures(submission_id, attempt, result)

            with environments.using(submission.assignment.environment):
                result = grade_notebook_bytes(notebook_bytes, job_dir, limits, on_graded=on_graded)
            if early:
                if early[0]:
                    pages.store_run_page(submission_id, attempt, result, limits)
                return result.status
            result = integrity.screen(result, submission.assignment, notebook_bytes, scan.result())
            _stored(submission_id, attempt, result, record_result(submission_id, attempt, result))
    finally:
        shutil.rmtree(job_dir, ignore_errors=True)
    return result.status


def _store_pictures(submission_id: int, attempt: int, result: GradeResult) -> None:
    """Never raises: the score is stored, and a page drawn again draws missing pictures too."""
    try:
        picture_files.store(submission_id, attempt, result.feedback.scores.confusion, result.feedback.scores.misclassified)
    except Exception:
        log.exception("the pictures of submission %s attempt %s were not stored; drawn with its page later",
                      submission_id, attempt)


def _stored(submission_id: int, attempt: int, result: GradeResult, updated: bool) -> bool:
    if updated:
        # One line per stored result: the reliability scenarios count these.
        log.info("stored result of submission %s attempt %s: %s", submission_id, attempt, result.status)
    return updated


def record_result(submission_id: int, attempt: int, result: GradeResult, page_coming: bool = False) -> bool:
    """Store the result and its pictures if this attempt still owns the row; return whether it did.

    `page_coming`: a graded result stored before its page was drawn; the page is owed (the
    executed notebook is stored to draw it from) and the run's own drawing is expected
    (pages.store_run_page); if it never comes, the sweeper draws it (pages.RUN_PAGE_DUE_S).

    A database that restarts or fails over while the notebook ran has dropped this worker's
    connection: the write is tried again on a new one (for about a minute) instead of the
    finished run being thrown away and graded again."""
    about = f"storing the result of submission {submission_id} attempt {attempt}"
    submission = _riding_out_the_database(
        about, lambda: Submission.all_runs.select_related("assignment").get(pk=submission_id))
    limits = limits_for(submission.assignment)
    page_coming = page_coming and bool(result.notebook) and result.status == SubmissionStatus.GRADED
    page_problem = "" if page_coming else pages.owed(result, limits)
    # Files first: the row only ever names stored ones. The pictures of a score stored before
    # its page are drawn after it (the page has the same figures in HTML meanwhile).
    stored = _save_files(submission, attempt, result, page_problem or page_coming, with_pictures=not page_coming)
    try:
        updated = _riding_out_the_database(about, lambda: _write_result(submission, attempt, result, stored,
                                                                        page_problem, page_coming, limits),
                                           landed=lambda: _holds_result(submission_id, attempt, result))
    except UNREACHABLE:
        # The database never came back: a try whose answer was lost may have committed, and
        # then the row names these files. They stay; at worst they are orphans.
        raise
    except BaseException:  # rolled back: nothing names them
        _delete(submission, stored)
        raise
    if not updated:  # a newer attempt owns the row now: keep nothing of ours
        _delete(submission, stored)
    return updated


def _delete(submission: Submission, stored: dict[str, str]) -> None:
    picture_files.delete(submission, stored)


# What a database that restarts, fails over or is cut off raises (Django's InterfaceError,
# a connection already closed, is no DatabaseError).
UNREACHABLE = (OperationalError, InterfaceError)


def reopen_connection() -> None:
    """Close this thread's connection, so that its next query opens a new one: a connection
    the database dropped stays broken until it is closed."""
    with contextlib.suppress(*UNREACHABLE):
        connection.close()


# Pauses between tries of a database write whose connection was dropped (about a minute in
# all: the heartbeat, which reconnects too, keeps the row from looking silent meanwhile).
DATABASE_RETRY_PAUSES_S = (0.5, 1, 2, 4, 8, 15, 30)


def _riding_out_the_database(about: str, write, landed=None):
    """write(), tried again on a new connection while the database cannot be reached.

    `landed()` says whether an earlier try committed although its connection dropped before
    the answer came back (then that try's result stands: the retry must not undo it)."""
    for tried, pause in enumerate((*DATABASE_RETRY_PAUSES_S, None)):
        try:
            if tried and landed is not None and landed():
                return True
            return write()
        except UNREACHABLE as exc:
            if pause is None:
                raise
            log.warning("%s: the database cannot be reached (%s); trying again in %s s", about, exc, pause)
            reopen_connection()
            time.sleep(pause)


def _save_files(submission: Submission, attempt: int, result: GradeResult, page_owed=False,
                with_pictures: bool = True) -> dict[str, str]:
    """The result's page and pictures, saved under this attempt's names; {field: stored path}.
    `with_pictures=False`: the pictures are drawn after the score is stored (picture_files.store)."""
    files = {}
    if result.html:  # rendered in the sandbox; stored as it came, never parsed here
        files["executed_html"] = ("notebook.html", result.html)
    if page_owed:  # what the page is drawn again from, later
        files["executed_notebook"] = ("executed.ipynb", result.notebook.encode())
    if SubmissionStatus(result.status) == SubmissionStatus.GRADED and not submission.is_check and with_pictures:
        files.update(picture_files.files(result.feedback.scores.confusion, result.feedback.scores.misclassified))
    return picture_files.save(submission, attempt, files)


def _write_result(submission: Submission, attempt: int, result: GradeResult, stored: dict[str, str],
                  page_problem: str = "", page_coming: bool = False, limits: Limits | None = None) -> bool:
    status = SubmissionStatus(result.status)
    score = submission.assignment.score_for(result.accuracy) if result.accuracy is not None else None
    fields = dict(
        message=result.message,
        accuracy=result.accuracy,
        public_accuracy=result.public_accuracy,
        private_accuracy=result.private_accuracy,
        score=score,
        flagged=result.flagged,
        flag_reason=result.flag_reason,
        feedback=result.feedback.to_json(),
        run_seconds=result.run_seconds,
        peak_memory_mb=result.peak_memory_mb,
        log_tail=result.log_tail[-65536:],
        **stored,
    )
    if _is_unchanged_template(submission, result):
        fields["refunded_at"] = timezone.now()
    # The result and the student's notification are stored together: one never without the other.
    with transaction.atomic():
        # A page coming from the run is drawn by the sweeper only if the run never stores it.
        due_s = pages.run_page_due_s(limits) if page_coming else None
        updated = states.finish(submission.pk, attempt, status, page_problem=page_problem, page_due_s=due_s, **fields)
        if updated and page_problem and not page_coming:
            transaction.on_commit(lambda: pages.enqueue(submission.pk))
        # A check's student is watching its page (it takes its turn like any run); it is no
        # news for their inbox.
        if updated and status in (SubmissionStatus.GRADED, SubmissionStatus.FAILED) and not submission.is_check:
            submission.status, submission.accuracy, submission.message = status, result.accuracy, result.message
            submission.public_accuracy = result.public_accuracy
            notifications.notebook_finished(submission, attempt)
            if status == SubmissionStatus.GRADED:
                transaction.on_commit(lambda: send_copy_check(submission.pk))
    return updated


def _holds_result(submission_id: int, attempt: int, result: GradeResult) -> bool:
    """Whether the row already ended with this attempt's result (a commit whose answer was lost)."""
    return Submission.all_runs.filter(pk=submission_id, attempts=attempt, status=result.status,
                                      message=result.message, finished_at__isnull=False).exists()


def _is_unchanged_template(submission: Submission, result: GradeResult) -> bool:
    """Whether the run stopped at the template's own unwritten code, in a notebook whose code
    is the template's: such a run taught the student the contract, so it does not use up one
    of the day's uploads. A notebook with any code of the student's does count."""
    mistake = (result.feedback.failure.mistake if result.feedback.failure else None) or {}
    if result.status != SubmissionStatus.FAILED or mistake.get("key") != "template_todo":
        return False
    with submission.notebook.open("rb") as fh:
        return project_files.is_unchanged_template(fh.read(), project_files.template_for(submission.assignment))


SYSTEM_ERROR_MESSAGE = ("The grader failed for a reason that is not your notebook's; staff have been told and will "
                        "regrade it. This does not count against your uploads.")


HOST_BUSY_MESSAGE = ("The grading machine was too busy to run your notebook: it spent its time waiting for a "
                     "processor, which is never counted against your notebook's time limits. Staff have been told "
                     "and will regrade it. This does not count against your uploads.")


def give_up(submission_id: int, attempt: int, exc: BaseException) -> bool:
    """End a run as the system's error, with what went wrong kept for TAs."""
    message = HOST_BUSY_MESSAGE if isinstance(exc, HostBusy) else SYSTEM_ERROR_MESSAGE
    return states.finish(submission_id, attempt, SubmissionStatus.ERROR, message=message,
                         log_tail=f"{type(exc).__name__}: {exc}"[-65536:])


def regrade(submission_ids, actor, *, via: str) -> int:
    """Queue submissions again (not those running right now), audited, and send them
    after commit. The one way to regrade: the dashboard, the admin and `manage.py
    regrade` all come here. `via` says which, for the audit trail."""
    with transaction.atomic():
        before = {s.pk: s for s in Submission.objects.filter(pk__in=list(submission_ids))
                  .only("pk", "student_id", "status", "accuracy", "flag_resolution")}
        ids = states.requeue_for_regrade(list(before), queued_by=actor)
        audit_many(actor, "regrade", [before[pk] for pk in ids], lambda s: {
            "via": via, "previous_status": s.status, "previous_accuracy": s.accuracy,
            "previous_flag_decision": s.flag_resolution})
        transaction.on_commit(dispatch_quietly)
    return len(ids)


def regrade_problems(actor) -> int:
    """Every failed or errored notebook, queued again (a TA's "regrade all failed")."""
    ids = Submission.objects.filter(status__in=states.PROBLEMS).values_list("pk", flat=True)
    return regrade(ids, actor, via="dashboard: regrade all failed")
