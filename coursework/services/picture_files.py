"""A graded run's pictures (the confusion matrix and the misclassified digits, as PNG files
beside the HTML the pages draw from the feedback). They are drawn after the score is stored,
off the path the student waits on; a run whose worker died before drawing them gets them
when its page is drawn again (pages.draw_again), from the feedback stored with the score.
"""
from __future__ import annotations

from django.core.files.base import ContentFile

from grader import feedback
from grader.data import test_set

from .. import states
from ..models import Submission
from . import disclosure


def files(confusion: list, misclassified: list) -> dict[str, tuple[str, bytes]]:
    """{field: (file name, PNG bytes)} of a graded run's pictures."""
    images, _ = test_set()
    drawn = {"confusion_png": ("confusion.png", feedback.confusion_png(confusion)),
             "gallery_png": ("misclassified.png", feedback.gallery_png(images, misclassified))}
    public = disclosure.public_misclassified(misclassified)
    if public:
        drawn["public_gallery_png"] = ("misclassified-public.png", feedback.gallery_png(images, public))
    return drawn


def save(submission: Submission, attempt: int, drawn: dict[str, tuple[str, bytes]]) -> dict[str, str]:
    """Save files under this attempt's names; {field: stored path}."""
    stored = {}
    for name, (filename, data) in drawn.items():
        field = getattr(submission, name)
        stored[name] = field.storage.save(
            field.field.generate_filename(submission, f"{submission.pk}-{attempt}-{filename}"), ContentFile(data))
    return stored


def delete(submission: Submission, stored: dict[str, str]) -> None:
    for name, path in stored.items():
        getattr(submission, name).storage.delete(path)


def store(submission_id: int, attempt: int, confusion: list, misclassified: list) -> bool:
    """Draw and store the pictures of a graded run whose score is stored without them, if the
    row is still that run's and has none yet; return whether they were stored."""
    submission = Submission.all_runs.get(pk=submission_id)
    stored = save(submission, attempt, files(confusion, misclassified))
    try:
        updated = states.store_pictures(submission_id, attempt, **stored)
    except BaseException:
        delete(submission, stored)  # rolled back: nothing names them
        raise
    if not updated:
        delete(submission, stored)
    return updated


def missing(submission: Submission) -> bool:
    """Whether a graded run's pictures were never stored (its worker died after the score)."""
    return (submission.status == states.SubmissionStatus.GRADED and not submission.is_check
            and not submission.confusion_png and isinstance(submission.feedback.get("confusion"), list))
