"""When TAs' reviews reach students.

A task publishes its reviews at once (each reaches its student as it is saved) or when a
TA publishes them (Assignment.publish_reviews): then a saved review is `held`, and its
student sees the work as still being reviewed: no points, no comments, no request to
resubmit, no notification, no appeal. A TA's "publish" releases every held review of the
task at once, tells each student then, and starts each appeal window then. Publishing
twice releases nothing the second time (only held reviews are released, under a row lock),
and each publish that releases something is audited.

Staff see every review, held or not, everywhere (queues, the gradebook, statistics): what
counts for staff is what was saved. Students see only what was published.
"""
from __future__ import annotations

import copy

from django.db import transaction
from django.utils import timezone

from ..models import Assignment, EssaySubmission, SynthesisResponse
from ..states import ReviewStatus
from . import deadlines, notifications
from .audit import audit

REVIEWED_KINDS = {Assignment.ESSAYS: EssaySubmission, Assignment.SYNTHESIS: SynthesisResponse}


def holds(task: Assignment | None) -> bool:
    """Whether reviews saved now on this task wait for a TA to publish them."""
    return task is not None and task.publish_reviews == Assignment.WHEN_PUBLISHED


def held_reviews(task: Assignment):
    model = REVIEWED_KINDS.get(task.kind)
    return model.objects.filter(held=True) if model else EssaySubmission.objects.none()


def held_count(task: Assignment) -> int:
    return held_reviews(task).count()


@transaction.atomic
def publish(actor, task: Assignment) -> int:
    """Release every held review of the task to its student; returns how many were released."""
    items = list(held_reviews(task).select_for_update().select_related("student"))
    if not items:
        return 0
    now = timezone.now()
    type(items[0]).objects.filter(pk__in=[i.pk for i in items]).update(held=False, published_at=now)
    for item in items:
        item.held, item.published_at = False, now
        if item.resubmit_by is not None and item.reviewed_at is not None:
            # A student cannot act on a request they cannot see: the time the TA gave them
            # starts when it reaches them, so the time it was held is added to its due date:
            # only the part after the student's own due date, since until then they had the
            # task's time anyway (a request's default date already counts from the later).
            terms = deadlines.terms_for(item.student, task)
            start = max(item.reviewed_at, terms.due) if terms and terms.due else item.reviewed_at
            if now > start:
                item.resubmit_by = deadlines.end_of_minute(item.resubmit_by + (now - start))
                type(item).objects.filter(pk=item.pk).update(resubmit_by=item.resubmit_by)
        notifications.review_posted(item)
    audit(actor, "reviews_published", task, count=len(items), items=[i.pk for i in items])
    return len(items)


@transaction.atomic
def set_mode(actor, task: Assignment, mode: str) -> None:
    """Change when the task's reviews reach students (audited). Reviews already held stay
    held until a TA publishes them: switching to "at once" does not release them unseen."""
    before = Assignment.objects.select_for_update().filter(pk=task.pk).values_list("publish_reviews", flat=True).get()
    if before == mode:
        return
    task.publish_reviews = mode
    task.save(update_fields=["publish_reviews"])
    audit(actor, "publish_setting_changed", task, before=before, after=mode)


def seen_by(item, viewer):
    """The item as `viewer` may see it: a held review, for anyone but staff, is the work as it
    was before the review (submitted, no points, no comments). A copy: never save it."""
    if item is None or not getattr(item, "held", False) or (viewer is not None and viewer.is_staff):
        return item
    shown = copy.copy(item)
    shown.status = ReviewStatus.SUBMITTED
    shown.score = shown.max_score = shown.reviewed_at = shown.published_at = None
    shown.rubric, shown.ta_feedback, shown.feedback_only = {}, "", False
    shown.reviewer_id = None
    shown._state = copy.copy(item._state)
    shown._state.fields_cache = {k: v for k, v in item._state.fields_cache.items() if k != "reviewer"}
    return shown
