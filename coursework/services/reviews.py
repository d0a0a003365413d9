"""What TAs do: queues, reviews against a rubric, resubmission requests, flags, regrades, the audit trail."""
from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from .. import states
from ..models import Assignment, EssaySubmission, RubricCriterion, Submission, SynthesisResponse
from ..states import PROBLEMS, ReviewStatus
from .audit import audit

QUEUES = ("synthesis", "essays", "notebooks")
FLAGGED = "flagged"  # the notebook queue's filter for open flags (not a status)
# The statuses each queue can be filtered by.
QUEUE_STATUSES = {
    "synthesis": tuple(states.REVIEW_QUEUE_STATUSES),
    "essays": tuple(states.REVIEW_QUEUE_STATUSES),
    "notebooks": (*PROBLEMS, FLAGGED),
}


@dataclass(frozen=True)
class Filters:
    """What a TA narrowed a queue to (already checked by the view)."""

    group: int | None = None
    status: str = ""
    late: bool | None = None


def _common(queryset, filters: Filters, student_field="student"):
    if filters.group is not None:
        queryset = queryset.filter(**{f"{student_field}__profile__group_id": filters.group})
    if filters.late is not None:
        queryset = queryset.filter(late=filters.late)
    return queryset


# What a queue row shows, and nothing more: a notebook row also holds its feedback and the
# sandbox's log (tens of kilobytes), which only the submission's own page needs.
_WHO = ("student", "student__username", "student__profile__display_name", "student__profile__group__name")


def synthesis_queue(filters: Filters):
    statuses = [filters.status] if filters.status else [ReviewStatus.SUBMITTED]
    # Index synthesis_queue (status, submitted_at, id) gives this order, so the first
    # page is read off the index however long the queue is.
    return (_common(SynthesisResponse.objects.filter(status__in=statuses), filters)
            .select_related("student__profile__group", "question_set__page")
            .only(*_WHO, "status", "submitted_at", "late", "question_set", "question_set__page__title")
            .order_by("submitted_at", "pk"))


def essay_queue(filters: Filters):
    statuses = [filters.status] if filters.status else [ReviewStatus.SUBMITTED]
    # Only each student's latest version waits for review; earlier ones are kept as history.
    # "No newer version exists" is one probe of essay_version_unique (student, version) per
    # row, so walking essay_queue (status, submitted_at, id) stops after the rows shown.
    newer = EssaySubmission.objects.filter(student=OuterRef("student"), version__gt=OuterRef("version"))
    return (_common(EssaySubmission.objects.filter(status__in=statuses).filter(~Exists(newer)), filters)
            .select_related("student__profile__group")
            .only(*_WHO, "status", "version", "submitted_at", "late")
            .order_by("submitted_at", "pk"))


def notebook_queue(filters: Filters):
    # Written exactly as the partial index notebook_problems is, so PostgreSQL uses it.
    problems = Q(status__in=PROBLEMS) | Q(flagged=True, flag_resolution="")
    queryset = Submission.objects.filter(problems)
    if filters.status == FLAGGED:
        queryset = queryset.filter(flagged=True, flag_resolution="")
    elif filters.status:
        queryset = queryset.filter(status=filters.status)
    return (_common(queryset, filters).select_related("student__profile__group")
            .only(*_WHO, "status", "original_name", "created_at", "late", "flagged", "flag_resolution")
            .order_by("created_at", "pk"))


QUEUE_FUNCTIONS = {"synthesis": synthesis_queue, "essays": essay_queue, "notebooks": notebook_queue}


def next_in_queue(queue: str, filters: Filters, after_pk: int | None = None):
    """The next item to review in the same queue and filters, so a TA never returns to the list."""
    items = QUEUE_FUNCTIONS[queue](filters)
    if after_pk is not None:
        items = items.exclude(pk=after_pk)
    return items.first()


def rubric_for(kind: str):
    return list(RubricCriterion.objects.filter(assignment__kind=kind))


@transaction.atomic
def review(item, reviewer, points: dict[int, float], feedback: str, request_resubmission: bool = False):
    """Score a synthesis response or essay submission against its rubric and record it."""
    kind = Assignment.SYNTHESIS if isinstance(item, SynthesisResponse) else Assignment.ESSAYS
    criteria = {c.pk: c for c in rubric_for(kind)}
    scores = {str(pk): max(0.0, min(float(points.get(pk, 0)), c.max_points)) for pk, c in criteria.items()}
    item = type(item).objects.select_for_update().get(pk=item.pk)
    before = {"status": item.status, "score": item.score, "feedback": item.ta_feedback}
    states.move_review(item, ReviewStatus.RESUBMIT if request_resubmission else ReviewStatus.REVIEWED)
    item.rubric_scores = scores
    item.score = sum(scores.values()) if criteria else None
    item.ta_feedback = feedback
    item.reviewer = reviewer
    item.reviewed_at = timezone.now()
    item.save()
    audit(reviewer, "request_resubmission" if request_resubmission else "review", item,
          before=before, after={"status": item.status, "score": item.score, "feedback": feedback, "rubric": scores})
    return item


@transaction.atomic
def resolve_flag(submission: Submission, ta, decision: str) -> Submission:
    if decision not in ("cleared", "upheld"):
        raise ValueError("decision must be 'cleared' or 'upheld'")
    Submission.objects.filter(pk=submission.pk).update(flag_resolution=decision, flag_resolved_by=ta,
                                                       flag_resolved_at=timezone.now())
    audit(ta, f"flag_{decision}", submission, reason=submission.flag_reason)
    submission.refresh_from_db()
    return submission


# Counts above this are shown as "500+": counting stops there, so a tab's count costs the
# same with 50 or 50,000 items waiting (an exact count would read every waiting row on
# every page view).
COUNT_CAP = 500


def counts(filters: Filters) -> dict[str, int]:
    """Items waiting in each queue, up to COUNT_CAP + 1 (which means "more than COUNT_CAP")."""
    return {name: fn(filters).order_by()[:COUNT_CAP + 1].count() for name, fn in QUEUE_FUNCTIONS.items()}
