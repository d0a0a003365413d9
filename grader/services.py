"""Storing grading results and regrading: plain functions shared by tasks, views and commands."""
from __future__ import annotations

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from coursework.models import Submission

from . import feedback
from .data import test_set
from .pipeline import GradeResult


def owned_by_attempt(submission_id: int, attempt: int):
    """Rows this attempt still owns: a zombie worker can never overwrite a newer attempt."""
    return Submission.objects.filter(pk=submission_id, status=Submission.RUNNING, attempts=attempt)


def record_result(submission_id: int, attempt: int, result: GradeResult) -> bool:
    """Store the result and its pictures if this attempt still owns the row; return whether it did."""
    submission = Submission.objects.select_related("assignment").get(pk=submission_id)
    files = {}
    if result.html:  # rendered in the sandbox; stored as it came, never parsed here
        files["executed_html"] = ("notebook.html", result.html)
    if result.status == Submission.GRADED:
        files["confusion_png"] = ("confusion.png", feedback.confusion_png(result.feedback["confusion"]))
        images, _ = test_set()
        files["gallery_png"] = ("misclassified.png", feedback.gallery_png(images, result.feedback["misclassified"]))
    stored = {}
    for name, (filename, data) in files.items():
        field = getattr(submission, name)
        stored[name] = field.storage.save(field.field.generate_filename(submission, f"{submission_id}-{attempt}-{filename}"), ContentFile(data))
    score = submission.assignment.score_for(result.accuracy) if result.accuracy is not None else None
    updated = owned_by_attempt(submission_id, attempt).update(
        status=result.status,
        message=result.message,
        accuracy=result.accuracy,
        public_accuracy=result.public_accuracy,
        private_accuracy=result.private_accuracy,
        score=score,
        flagged=result.flagged,
        flag_reason=result.flag_reason,
        feedback=result.feedback,
        run_seconds=result.run_seconds,
        peak_memory_mb=result.peak_memory_mb,
        log_tail=result.log_tail[-65536:],
        finished_at=timezone.now(),
        **stored,
    )
    if not updated:  # a newer attempt owns the row now: keep nothing of ours
        for name, path in stored.items():
            getattr(submission, name).storage.delete(path)
    return bool(updated)


RESET = dict(
    status=Submission.QUEUED, message="", accuracy=None, public_accuracy=None, private_accuracy=None, score=None,
    feedback={}, flagged=False, flag_reason="", log_tail="", run_seconds=None, peak_memory_mb=None,
    started_at=None, finished_at=None, heartbeat_at=None,
)


def regrade(submission_ids) -> int:
    """Queue these submissions again (those not running right now); return how many were queued."""
    from .tasks import enqueue

    with transaction.atomic():
        ids = list(
            Submission.objects.filter(pk__in=list(submission_ids)).exclude(status=Submission.RUNNING)
            .select_for_update().values_list("pk", flat=True)
        )
        Submission.objects.filter(pk__in=ids).update(**RESET)
        for pk in ids:
            transaction.on_commit(lambda pk=pk: enqueue(pk))
    return len(ids)
