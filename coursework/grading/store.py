"""Storing a run's result: its files and pictures first, then the row, if the attempt still
owns it (with the student's notification); a database that drops the connection meanwhile
is ridden out. A run that cannot finish is given up here, with the message the student sees."""
from __future__ import annotations

import contextlib
import logging
import time

from django.db import InterfaceError, OperationalError, connection, transaction
from django.utils import timezone

from grader.errors import HostBusy
from grader.limits import Limits
from grader.result import GradeResult

from .. import states
from ..models import Submission
from ..services import notifications, pages, pictures, project_files
from ..states import SubmissionStatus
from .conditions import limits_for
from .dispatch import send_copy_check

log = logging.getLogger(__name__)


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
    pictures.delete(submission, stored)


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
    `with_pictures=False`: the pictures are drawn after the score is stored (pictures.store)."""
    files = {}
    if result.html:  # rendered in the sandbox; stored as it came, never parsed here
        files["executed_html"] = ("notebook.html", result.html)
    if page_owed:  # what the page is drawn again from, later
        files["executed_notebook"] = ("executed.ipynb", result.notebook.encode())
    if SubmissionStatus(result.status) == SubmissionStatus.GRADED and not submission.is_check and with_pictures:
        files.update(pictures.files(result.feedback.scores.confusion, result.feedback.scores.misclassified))
    return pictures.save(submission, attempt, files)


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

