"""What TAs do: queues, reviews against a rubric, resubmission requests, flags, regrades, the audit trail."""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from .. import states
from ..models import Appeal, EssaySubmission, ReviewDraft, Submission, SynthesisResponse
from ..states import PROBLEMS, AppealStatus, ReviewStatus
from . import claims, deadlines, drafts, notifications, publishing, rubrics
from .audit import audit

QUEUES = ("synthesis", "essays", "notebooks", "appeals")
FLAGGED = "flagged"  # the notebook queue's filter for open flags (not a status)
# The statuses each queue can be filtered by.
QUEUE_STATUSES = {
    "synthesis": tuple(states.REVIEW_QUEUE_STATUSES),
    "essays": tuple(states.REVIEW_QUEUE_STATUSES),
    "notebooks": (*PROBLEMS, FLAGGED),
    "appeals": tuple(AppealStatus),
}


@dataclass(frozen=True)
class Filters:
    """What a TA narrowed a queue to (already checked by the view)."""

    group: int | None = None
    groups: tuple[int, ...] | None = None  # the groups a TA leads: their queue by default
    unassigned: bool = False  # students in no group
    status: str = ""
    late: bool | None = None


def _common(queryset, filters: Filters, student_field="student"):
    if filters.unassigned:
        queryset = queryset.filter(**{f"{student_field}__profile__group__isnull": True})
    elif filters.groups is not None:
        queryset = queryset.filter(**{f"{student_field}__profile__group_id__in": filters.groups})
    elif filters.group is not None:
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
            .only(*_WHO, "status", "resubmit_by", "submitted_at", "late", "question_set", "question_set__page__title")
            .order_by("submitted_at", "pk"))


def essay_queue(filters: Filters):
    statuses = [filters.status] if filters.status else [ReviewStatus.SUBMITTED]
    # Only each student's latest version waits for review; earlier ones are kept as history.
    # "No newer version exists" is one probe of essay_version_unique (student, version) per
    # row, so walking essay_queue (status, submitted_at, id) stops after the rows shown.
    newer = EssaySubmission.objects.filter(student=OuterRef("student"), version__gt=OuterRef("version"))
    return (_common(EssaySubmission.objects.filter(status__in=statuses).filter(~Exists(newer)), filters)
            .select_related("student__profile__group")
            .only(*_WHO, "status", "resubmit_by", "version", "submitted_at", "late")
            .order_by("submitted_at", "pk"))


def notebook_queue(filters: Filters):
    # Written exactly as the partial index notebook_problems is, so PostgreSQL uses it.
    problems = Q(status__in=PROBLEMS) | Q(flagged=True, flag_resolution="")
    # A refunded run was the course's own template uploaded unchanged: the student was
    # already told so, and there is nothing in it for a TA to check.
    queryset = Submission.objects.filter(problems).filter(refunded_at__isnull=True)
    if filters.status == FLAGGED:
        queryset = queryset.filter(flagged=True, flag_resolution="")
    elif filters.status:
        queryset = queryset.filter(status=filters.status)
    return (_common(queryset, filters).select_related("student__profile__group")
            .only(*_WHO, "status", "original_name", "created_at", "late", "flagged", "flag_resolution")
            .order_by("created_at", "pk"))


def waits_for_a_ta(submission: Submission) -> bool:
    """Whether a notebook is one the notebook queue lists (failed, errored, or flagged and open)."""
    return submission.refunded_at is None and (submission.status in PROBLEMS
                                               or (submission.flagged and not submission.flag_resolution))


def appeal_queue(filters: Filters):
    statuses = [filters.status] if filters.status else [AppealStatus.OPEN]
    # Lateness is the work's, not the appeal's: that filter does not narrow this queue.
    return _common(Appeal.objects.filter(status__in=statuses), replace(filters, late=None)).select_related(
        "student__profile__group").order_by("created_at", "pk")


QUEUE_FUNCTIONS = {"synthesis": synthesis_queue, "essays": essay_queue, "notebooks": notebook_queue,
                   "appeals": appeal_queue}


# The queues whose items a TA claims when they open one (coursework.services.claims).
CLAIMED_QUEUES = ("synthesis", "essays", "notebooks")
# How many items "next" tries when other TAs take them first, before it gives up.
CLAIM_TRIES = 10


def next_in_queue(queue: str, filters: Filters, after_pk: int | None = None, ta=None):
    """The next item to review in the same queue and filters, so a TA never returns to the list.

    With `ta`, items another TA holds are skipped and the one returned is claimed for `ta`
    in the same step, so two TAs pressing "next" at once never get the same item."""
    items = QUEUE_FUNCTIONS[queue](filters)
    if after_pk is not None:
        items = items.exclude(pk=after_pk)
    if ta is None or queue not in CLAIMED_QUEUES:
        return items.first()
    items = claims.unclaimed_by_others(items, ta)
    for _ in range(CLAIM_TRIES):
        item = items.first()
        if item is None or claims.claim(item, ta).holder_id == ta.pk:
            return item
        items = items.exclude(pk=item.pk)  # another TA took it between the read and the claim
    return None


def neighbours(queue: str, filters: Filters, item) -> tuple[int | None, int | None]:
    """The items before and after this one in the queue's order, whatever their status (so
    "previous" finds the one just reviewed): for moving through a queue without saving."""
    if queue not in ("synthesis", "essays") or item.submitted_at is None:
        return None, None
    if queue == "synthesis":
        every = _common(SynthesisResponse.objects.filter(status__in=states.REVIEW_QUEUE_STATUSES), filters)
    else:
        # Each student's latest version only, as the queue shows them.
        newer = EssaySubmission.objects.filter(student=OuterRef("student"), version__gt=OuterRef("version"))
        every = _common(EssaySubmission.objects.filter(status__in=states.REVIEW_QUEUE_STATUSES).filter(~Exists(newer)),
                        filters)
    at, pk = item.submitted_at, item.pk
    earlier = every.filter(Q(submitted_at__lt=at) | Q(submitted_at=at, pk__lt=pk)).order_by("-submitted_at", "-pk")
    later = every.filter(Q(submitted_at__gt=at) | Q(submitted_at=at, pk__gt=pk)).order_by("submitted_at", "pk")
    return earlier.values_list("pk", flat=True).first(), later.values_list("pk", flat=True).first()


# --- reviewing ------------------------------------------------------------------------------


def person(user) -> str:
    profile = getattr(user, "profile", None)
    return (profile.display_name if profile else "") or user.get_full_name() or user.get_username()


class ReviewRefused(ValueError):
    """The review cannot be saved as typed; `errors` maps each form field to what is wrong."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(" ".join(errors.values()))
        self.errors = errors


class StaleReview(Exception):
    """Someone saved a review of this work after the form was loaded; nothing was saved."""

    def __init__(self, current):
        self.current = current
        who = person(current.reviewer) if current.reviewer else "Someone"
        when = timezone.localtime(current.reviewed_at).strftime("%H:%M") if current.reviewed_at else "just now"
        result = ("feedback only" if current.feedback_only or current.score is None
                  else f"{current.score:g} of {current.max_score:g} point{'' if current.max_score == 1 else 's'}")
        super().__init__(f"{who} saved a review of this work at {when} ({result}) while you had it open. Your "
                         "points and comments are still in the form and were not saved: read their review below, "
                         "then save again if yours should replace it.")


def default_resubmit_by(item, start: datetime | None = None) -> datetime:
    """When a resubmission of this work requested at `start` (now) is due, unless the TA picks a date."""
    return deadlines.resubmission_due(deadlines.terms_for(item.student, rubrics.task_of(item)),
                                      start or timezone.now())


@transaction.atomic
def review(item, reviewer, marks: dict[int, rubrics.Mark], feedback: str, *, feedback_only: bool = False,
           request_resubmission: bool = False, resubmit_by: datetime | None = None, seen_version: int | None = None):
    """Score a synthesis response or an essay set against its rubric, keep a snapshot of the
    rubric with the points and comments, tell the student, and audit it. A resubmission is
    due by `resubmit_by` (default_resubmit_by when None).

    Raises ReviewRefused (points missing, negative or above a criterion's maximum, a
    resubmission due in the past) or StaleReview (another review was saved since
    `seen_version`); nothing is saved then."""
    criteria = rubrics.criteria_for(item)
    errors = rubrics.check_marks(criteria, marks, feedback_only)
    if len(feedback) > 10000:
        errors["feedback"] = "Comments for the student may be at most 10,000 characters."
    if request_resubmission and resubmit_by is not None:
        due = deadlines.due_for(item.student, rubrics.task_of(item))
        if resubmit_by <= timezone.now():
            errors["resubmit_by"] = (f"The resubmission cannot be due on {deadlines.describe_moment(resubmit_by)}: "
                                     "that has passed. Choose today or a later date.")
        elif due is not None and resubmit_by < due:
            # The student has the task's own time anyway: an earlier date would only tell them
            # something untrue ("after it, each day counts as a day late").
            errors["resubmit_by"] = (f"The resubmission cannot be due before this student's own due date, "
                                     f"{deadlines.describe_moment(due)}. Choose that day or a later one.")
    if errors:
        raise ReviewRefused(errors)
    item = type(item).objects.select_for_update(of=("self",)).select_related("reviewer__profile").get(pk=item.pk)
    if seen_version is not None and item.review_version != seen_version:
        raise StaleReview(item)
    before = {"status": item.status, "score": item.score, "max_score": item.max_score,
              "feedback_only": item.feedback_only, "feedback": item.ta_feedback, "rubric": item.rubric}
    states.move_review(item, ReviewStatus.RESUBMIT if request_resubmission else ReviewStatus.REVIEWED)
    item.rubric = rubrics.snapshot(criteria, marks, scored=not feedback_only)
    item.feedback_only = feedback_only
    item.score = None if feedback_only else (rubrics.total(item.rubric) or 0.0)
    item.max_score = None if feedback_only else float(rubrics.maximum(criteria))
    item.ta_feedback = feedback
    item.reviewer = reviewer
    item.reviewed_at = timezone.now()
    item.review_version += 1
    # Held until a TA publishes the task's reviews, if the task says so (services.publishing).
    item.held = publishing.holds(rubrics.task_of(item))
    if request_resubmission:
        item.resubmit_by = resubmit_by or default_resubmit_by(item, item.reviewed_at)
    else:
        item.resubmit_by = None
    item.save()
    rubrics.add_to_banks(criteria, marks)
    discard_draft(reviewer, item)
    claims.release(item, reviewer)
    audit(reviewer, "request_resubmission" if request_resubmission else "review", item, version=item.review_version,
          held=item.held, before=before, after={"status": item.status, "score": item.score, "max_score": item.max_score,
                                "feedback_only": feedback_only, "feedback": feedback, "rubric": item.rubric,
                                "resubmit_by": item.resubmit_by.isoformat() if item.resubmit_by else None})
    if not item.held:
        notifications.review_posted(item)
    return item


# --- drafts: what a TA typed and has not saved (services.drafts, shared with students' forms) --


def _review_field(name: str) -> bool:
    return name in ("feedback", "feedback_only") or name.startswith("criterion-")


def save_draft(reviewer, item, fields: dict[str, str]) -> ReviewDraft:
    return drafts.save(reviewer, item, fields, keep=_review_field)


def draft_for(reviewer, item) -> ReviewDraft | None:
    """The reviewer's unsaved draft of this item, if it is newer than the review saved since."""
    return drafts.latest(reviewer, item, handed_in_at=item.reviewed_at)


def discard_draft(reviewer, item) -> None:
    drafts.discard(reviewer, item)


@transaction.atomic
def resolve_flag(submission: Submission, ta, decision: str) -> Submission:
    if decision not in ("cleared", "upheld"):
        raise ValueError("decision must be 'cleared' or 'upheld'")
    Submission.objects.filter(pk=submission.pk).update(flag_resolution=decision, flag_resolved_by=ta,
                                                       flag_resolved_at=timezone.now())
    audit(ta, f"flag_{decision}", submission, reason=submission.flag_reason)
    claims.release(submission, ta)
    submission.refresh_from_db()
    notifications.flag_decided(submission)
    return submission


# Counts above this are shown as "500+": counting stops there, so a tab's count costs the
# same with 50 or 50,000 items waiting (an exact count would read every waiting row on
# every page view).
COUNT_CAP = 500


def counts(filters: Filters) -> dict[str, int]:
    """Items waiting in each queue, up to COUNT_CAP + 1 (which means "more than COUNT_CAP")."""
    return {name: fn(filters).order_by()[:COUNT_CAP + 1].count() for name, fn in QUEUE_FUNCTIONS.items()}
