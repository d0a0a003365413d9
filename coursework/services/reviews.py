"""What TAs do: queues, reviews against a rubric, resubmission requests, flags, regrades, the audit trail."""
from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from ..models import (Assignment, AuditEvent, EssaySubmission, RubricCriterion, Submission, SynthesisResponse)

QUEUES = ("synthesis", "essays", "notebooks")


def audit(actor, action: str, target: str, student, **changes) -> AuditEvent:
    return AuditEvent.objects.create(actor=actor, action=action, target=target, student=student, changes=changes)


@dataclass
class Filters:
    group: str = ""
    status: str = ""
    late: str = ""  # "", "yes", "no"

    STATUSES = ("", "submitted", "reviewed", "resubmit", "failed", "error", "flagged")

    @classmethod
    def from_query(cls, query) -> "Filters":
        """Filters from the URL; anything malformed is ignored rather than trusted."""
        group = query.get("group", "")
        status = query.get("status", "")
        late = query.get("late", "")
        return cls(group=group if group.isdigit() else "", status=status if status in cls.STATUSES else "",
                   late=late if late in ("yes", "no") else "")

    def as_query(self) -> str:
        from urllib.parse import urlencode

        return urlencode({k: v for k, v in vars(self).items() if v})


def _common(queryset, filters: Filters, student_field="student"):
    if filters.group:
        queryset = queryset.filter(**{f"{student_field}__profile__group_id": filters.group})
    if filters.late in ("yes", "no"):
        queryset = queryset.filter(late=filters.late == "yes")
    return queryset


# What a queue row shows, and nothing more: a notebook row also holds its feedback and the
# sandbox's log (tens of kilobytes), which only the submission's own page needs.
_WHO = ("student", "student__username", "student__profile__display_name", "student__profile__group__name")


def synthesis_queue(filters: Filters):
    statuses = [filters.status] if filters.status else [SynthesisResponse.SUBMITTED]
    # Index synthesis_queue (status, submitted_at, id) gives this order, so the first
    # page is read off the index however long the queue is.
    return (_common(SynthesisResponse.objects.filter(status__in=statuses), filters)
            .select_related("student__profile__group", "question_set__page")
            .only(*_WHO, "status", "submitted_at", "late", "question_set", "question_set__page__title")
            .order_by("submitted_at", "pk"))


def essay_queue(filters: Filters):
    statuses = [filters.status] if filters.status else [EssaySubmission.SUBMITTED]
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
    problems = Q(status__in=["failed", "error"]) | Q(flagged=True, flag_resolution="")
    queryset = Submission.objects.filter(problems)
    if filters.status:
        queryset = queryset.filter(flagged=True, flag_resolution="") if filters.status == "flagged" else queryset.filter(status=filters.status)
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
    before = {"status": item.status, "score": item.score, "feedback": item.ta_feedback}
    item.rubric_scores = scores
    item.score = sum(scores.values()) if criteria else None
    item.ta_feedback = feedback
    item.status = item.RESUBMIT if request_resubmission else item.REVIEWED
    item.reviewer = reviewer
    item.reviewed_at = timezone.now()
    item.save()
    target = f"{'synthesis' if kind == Assignment.SYNTHESIS else 'essays'}:{item.pk}"
    audit(reviewer, "request_resubmission" if request_resubmission else "review", target, item.student,
          before=before, after={"status": item.status, "score": item.score, "feedback": feedback, "rubric": scores})
    return item


@transaction.atomic
def resolve_flag(submission: Submission, ta, decision: str) -> Submission:
    if decision not in ("cleared", "upheld"):
        raise ValueError("decision must be 'cleared' or 'upheld'")
    Submission.objects.filter(pk=submission.pk).update(flag_resolution=decision, flag_resolved_by=ta,
                                                       flag_resolved_at=timezone.now())
    audit(ta, f"flag_{decision}", f"submission:{submission.pk}", submission.student, reason=submission.flag_reason)
    submission.refresh_from_db()
    return submission


def regrade_with_audit(submissions, ta) -> int:
    from grader.services import regrade

    submissions = list(submissions)
    count = regrade(s.pk for s in submissions)
    for s in submissions:
        audit(ta, "regrade", f"submission:{s.pk}", s.student, previous_status=s.status, previous_accuracy=s.accuracy)
    return count


# Counts above this are shown as "500+": counting stops there, so a tab's count costs the
# same with 50 or 50,000 items waiting (an exact count would read every waiting row on
# every page view).
COUNT_CAP = 500


def counts(filters: Filters) -> dict[str, int]:
    """Items waiting in each queue, up to COUNT_CAP + 1 (which means "more than COUNT_CAP")."""
    return {name: fn(filters).order_by()[:COUNT_CAP + 1].count() for name, fn in QUEUE_FUNCTIONS.items()}
