"""What students do, as plain functions the views (and tests, and commands) call."""
from __future__ import annotations

import os

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction

from grader.notebooks import validate_notebook_bytes

from .models import Assignment, Submission


def submit_notebook(student, assignment: Assignment, filename: str, data: bytes) -> Submission:
    """Store the notebook and its queued Submission together, then enqueue grading.

    Raises grader.notebooks.InvalidNotebook with a message for the student; in that
    case nothing is stored.
    """
    from grader.tasks import grade_submission

    validate_notebook_bytes(data, settings.MAX_UPLOAD_BYTES)
    # Never trust the client's file name as a path: keep only a plain base name.
    shown_name = os.path.basename(filename.replace("\\", "/"))[:200] or "notebook.ipynb"
    with transaction.atomic():
        submission = Submission(assignment=assignment, student=student, original_name=shown_name)
        submission.notebook.save("submission.ipynb", ContentFile(data), save=False)
        submission.save()
        # The worker must never look for a row that is not committed yet.
        transaction.on_commit(lambda: grade_submission.delay(submission.pk))
    return submission


def visible_submission(user, pk: int) -> Submission:
    """The submission if this user may see it; Http404 otherwise (never 403: that confirms it exists)."""
    from django.shortcuts import get_object_or_404

    queryset = Submission.objects.select_related("assignment", "student")
    if not user.is_staff:
        queryset = queryset.filter(student=user)
    return get_object_or_404(queryset, pk=pk)
