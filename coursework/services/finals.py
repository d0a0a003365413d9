"""Final submissions: the uploads a student stands by for the private leaderboard.

Ranking every upload on the private half would reward whoever uploaded most: among many
networks of about the same skill, the best on 5,000 held-out images is the luckiest. So
before their own due date each student marks up to two graded uploads as final, and after
the reveal the private board ranks the best private score among those only. A student who
marks none gets their best two by the public half, the choice they would most likely
have made (coursework.services.leaderboard ranks this in SQL).
"""
from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from ..models import Assignment, Submission
from ..states import SubmissionStatus
from . import deadlines
from .leaderboard import MAX_FINALS, eligible


class FinalRefused(Exception):
    """Why a final mark was not set or removed, in words for the student."""


def marked(student, assignment: Assignment) -> list[Submission]:
    """The student's uploads marked final, oldest mark first."""
    return list(Submission.objects.filter(student=student, assignment=assignment, final_marked_at__isnull=False)
                .order_by("final_marked_at", "pk"))


def default_finals(student, assignment: Assignment) -> list[Submission]:
    """What counts when the student marks none: their best two graded uploads by the public
    half that count (a flag open or upheld does not), the earlier first on a tie."""
    return list(eligible(assignment).filter(student=student, public_accuracy__isnull=False)
                .order_by("-public_accuracy", "created_at", "pk")[:MAX_FINALS])


def is_open(student, assignment: Assignment) -> bool:
    """Marks can change until the student's own due date (an extension moves it)."""
    due = deadlines.due_for(student, assignment)
    return due is None or timezone.now() < due


@dataclass(frozen=True)
class Summary:
    marked: list[int]  # ids of the uploads the student marked final
    default: list[int]  # with none marked, the ids that count by default
    open: bool  # marks can still change
    max: int = MAX_FINALS


def summary(student, assignment: Assignment, submissions: list[Submission]) -> Summary:
    """For the attempts table: which listed uploads are final. One query, only with none marked."""
    marked_ids = [s.pk for s in submissions if s.final_marked_at is not None]
    default = [] if marked_ids else [s.pk for s in default_finals(student, assignment)]
    return Summary(marked=marked_ids, default=default, open=is_open(student, assignment))


def _check_open(student, assignment: Assignment) -> None:
    if not is_open(student, assignment):
        due = deadlines.due_for(student, assignment)
        raise FinalRefused(f"Your due date ({deadlines.describe_moment(due)}) has passed: final uploads can no "
                           "longer be changed.")


def _own(student, submission_id: int) -> Submission:
    submission = Submission.objects.select_related("assignment").filter(pk=submission_id).first()
    if submission is None or submission.student_id != student.pk:
        raise FinalRefused("You can mark only your own uploads as final.")
    return submission


def _locked_uploads(student, assignment: Assignment) -> dict[int, Submission]:
    # Every upload of the student for this task, locked in id order: two marks sent at once
    # wait for each other, so they cannot both take the last free place.
    return {s.pk: s for s in Submission.objects.select_for_update()
            .filter(student=student, assignment=assignment).order_by("pk")}


def mark(student, submission_id: int) -> Submission:
    with transaction.atomic():
        assignment = _own(student, submission_id).assignment
        _check_open(student, assignment)
        mine = _locked_uploads(student, assignment)
        submission = mine[submission_id]
        submission.assignment = assignment
        if submission.status != SubmissionStatus.GRADED or submission.public_accuracy is None:
            raise FinalRefused("Only a graded upload can be final: this one has no test accuracy.")
        if submission.final_marked_at is not None:
            return submission
        if sum(1 for s in mine.values() if s.final_marked_at is not None) >= MAX_FINALS:
            raise FinalRefused(f"You already have {MAX_FINALS} final uploads: unmark one of them first.")
        submission.final_marked_at = timezone.now()
        submission.save(update_fields=["final_marked_at"])
        return submission


def unmark(student, submission_id: int) -> Submission:
    with transaction.atomic():
        assignment = _own(student, submission_id).assignment
        _check_open(student, assignment)
        submission = _locked_uploads(student, assignment)[submission_id]
        submission.assignment = assignment
        submission.final_marked_at = None
        submission.save(update_fields=["final_marked_at"])
        return submission
