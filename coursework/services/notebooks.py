"""What students do, as plain functions the views (and tests, and commands) call."""
from __future__ import annotations

import logging
import os

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile, File
from django.db import transaction
from django.db.models import F, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from grader.notebooks import InvalidNotebook, NotebookLimits, validate_notebook_bytes

from ..models import Assignment, Submission
from ..states import SubmissionStatus
from . import late_days
from .deadlines import TaskClosed, terms_for
from ..grading.dispatch import dispatch_quietly

__all__ = ["InvalidNotebook", "DailyLimitReached", "UploadNotStored", "TaskClosed", "submit_notebook",
           "submit_check", "submissions_visible_to", "uploads_left_today", "checks_left_today", "recent_checks", "numbered",
           "number_of"]

log = logging.getLogger(__name__)


class UploadNotStored(Exception):
    """The storage refused the file (full disk, I/O error); nothing was saved."""


class DailyLimitReached(Exception):
    """The student used today's uploads; the message says when more are possible."""


def _today_start():
    now = timezone.now()
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


def uploads_left_today(student, assignment: Assignment) -> int:
    # Failures caused by the system (status error) do not count against the student, nor
    # does the template uploaded unchanged (refunded when its run showed it).
    used = assignment.submissions.filter(student=student, created_at__gte=_today_start(),
                                         refunded_at__isnull=True).exclude(status=SubmissionStatus.ERROR).count()
    return max(0, assignment.daily_submission_limit - used)


def checks_left_today(student, assignment: Assignment) -> int:
    """Checks left today: an allowance of their own, apart from graded uploads."""
    used = Submission.all_runs.filter(assignment=assignment, student=student, purpose=Submission.CHECK,
                                      created_at__gte=_today_start()).exclude(status=SubmissionStatus.ERROR).count()
    return max(0, settings.NOTEBOOK_CHECKS_PER_DAY - used)


def recent_checks(student, assignment: Assignment, limit: int = 5):
    return numbered(Submission.all_runs.filter(assignment=assignment, student=student, purpose=Submission.CHECK))[:limit]


# A student counts their own uploads (and, apart, their own checks): 1, 2, 3. The row's id
# counts everyone's runs, checks included, so "Submission 214" after "Submission 198" read
# as if sixteen had gone missing.
def numbered(runs):
    """`runs` (one student's, of one task) each with `number`: its place among that student's
    runs of the same task and purpose, the first being 1."""
    return runs.annotate(number=Window(RowNumber(), partition_by=[F("student_id"), F("assignment_id"), F("purpose")],
                                       order_by=F("id").asc()))


def number_of(submission: Submission) -> int:
    """The run's place among its student's runs of the same task and purpose (see numbered)."""
    return Submission.all_runs.filter(student_id=submission.student_id, assignment_id=submission.assignment_id,
                                      purpose=submission.purpose, pk__lte=submission.pk).count()


def submit_notebook(student, assignment: Assignment, filename: str, data: bytes | File) -> Submission:
    """Store the notebook and its queued Submission together, then dispatch grading. `data`
    is its bytes, or the uploaded file itself (which the storage may move into place).

    Raises InvalidNotebook, DailyLimitReached, TaskClosed or UploadNotStored with a
    message for the student; in that case nothing is stored.
    """
    terms = terms_for(student, assignment)
    terms.refuse_if_closed()
    return _accept(student, assignment, filename, data, terms, Submission.GRADED)


def submit_check(student, assignment: Assignment, filename: str, data: bytes | File) -> Submission:
    """Store the notebook as a check, queued like an upload: it runs in the same
    sandbox on a few training images, is never scored and uses none of the day's uploads.

    Raises InvalidNotebook, DailyLimitReached or UploadNotStored with a message for the
    student; in that case nothing is stored. A check is allowed after the due date: it
    hands nothing in.
    """
    return _accept(student, assignment, filename, data, None, Submission.CHECK)


def _accept(student, assignment: Assignment, filename: str, data: bytes | File, terms, purpose: str) -> Submission:
    validate_notebook_bytes(_bytes_of(data), settings.MAX_UPLOAD_BYTES, NotebookLimits.from_settings())
    # Never trust the client's file name as a path: keep only a plain base name.
    shown_name = os.path.basename(filename.replace("\\", "/"))[:200] or "notebook.ipynb"
    try:
        return _store(student, assignment, shown_name, data, terms, purpose)
    except OSError as exc:
        log.error("could not store an upload from %s: %s", student, exc)
        raise UploadNotStored(
            "The server could not store your notebook just now (its storage is full or failing), so nothing was "
            "saved and nothing counts against your uploads. Please try again later; staff have been alerted."
        ) from None


def _bytes_of(data: bytes | File) -> bytes:
    if isinstance(data, bytes):
        return data
    data.seek(0)
    return data.read()


def _content(data: bytes | File) -> File:
    """What the storage saves: an upload that streamed to a temporary file is moved from
    there (FileSystemStorage moves what has a temporary_file_path), never held whole again."""
    if isinstance(data, bytes):
        return ContentFile(data)
    data.seek(0)
    return data


def _store(student, assignment: Assignment, shown_name: str, data: bytes | File, terms, purpose: str) -> Submission:
    with transaction.atomic():
        # Lock the student's row so two uploads at once cannot both take the last slot
        # (on PostgreSQL; SQLite serialises write transactions anyway).
        get_user_model().objects.select_for_update().filter(pk=student.pk).first()
        if purpose == Submission.CHECK:
            if checks_left_today(student, assignment) <= 0:
                raise DailyLimitReached(
                    f"You have used today's {settings.NOTEBOOK_CHECKS_PER_DAY} checks for this assignment; more "
                    "are possible from midnight UTC. Your graded uploads are a separate allowance."
                )
            submission = Submission(assignment=assignment, student=student, original_name=shown_name,
                                    queued_by=student, purpose=Submission.CHECK)
        else:
            if uploads_left_today(student, assignment) <= 0:
                raise DailyLimitReached(
                    f"You have used today's {assignment.daily_submission_limit} uploads for this assignment; "
                    "more are possible from midnight UTC. Uploads that failed because of the grader do not count, nor does "
                    "the template uploaded as downloaded."
                )
            lateness = terms.lateness(timezone.now())
            submission = Submission(assignment=assignment, student=student, original_name=shown_name,
                                    late=lateness.late, days_late=lateness.days, queued_by=student,
                                    late_days_used=late_days.cover(student, assignment, lateness.days))
        submission.notebook.save("submission.ipynb", _content(data), save=False)
        submission.save()
        # The worker must never look for a row that is not committed yet; the dispatcher
        # sends it when it is this student's turn.
        transaction.on_commit(dispatch_quietly)
    return submission


def submissions_visible_to(user):
    """The submissions this user may see, checks included: their own, or every one for staff."""
    queryset = Submission.all_runs.select_related("assignment", "student")
    return queryset if user.is_staff else queryset.filter(student=user)
