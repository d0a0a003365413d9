"""Anonymous review: TAs score the work, not the person.

Where a task's `anonymous_review` is set (the default), its review queue and review pages
show no student's name, username or file name, only the item's number. A TA who needs the
name (an appeal, an integrity case) shows it on demand; that is audited (who, when, which
item, why) and holds for that TA on that item only. The audit trail the page loads anyway
says whether this TA has shown it, so the check costs no query.
"""
from __future__ import annotations

from ..models import Assignment, EssaySubmission, Submission, SynthesisResponse
from .audit import audit

REVEAL = "reveal_name"
REASONS = {"appeal": "an appeal", "integrity": "an integrity case", "other": "another reason, noted in the audit"}
QUEUE_KINDS = {"synthesis": Assignment.SYNTHESIS, "essays": Assignment.ESSAYS, "notebooks": Assignment.NOTEBOOK}


def task_of(item) -> Assignment | None:
    if isinstance(item, Submission):
        return item.assignment
    if isinstance(item, SynthesisResponse):
        return Assignment.objects.the(Assignment.SYNTHESIS)
    if isinstance(item, EssaySubmission):
        return Assignment.objects.the(Assignment.ESSAYS)
    return None


def queue_is_anonymous(queue: str) -> bool:
    """Appeals are not anonymous: a student files one in their own name, to be answered as such."""
    kind = QUEUE_KINDS.get(queue)
    task = Assignment.objects.the(kind) if kind else None
    return bool(task and task.anonymous_review)


def names_hidden(item, viewer, events) -> bool:
    """Whether the viewer's page of this item hides the student's name; `events` is the
    item's audit trail (coursework.services.audit.history), already loaded for the page."""
    task = task_of(item)
    if task is None or not task.anonymous_review:
        return False
    return not any(e.action == REVEAL and e.actor_id == viewer.pk for e in events)


def label(item) -> str:
    """What an anonymous page calls the student: the item's own number, the same in the queue."""
    return f"Student of item {item.pk}"


def reveal(item, ta, reason: str):
    if reason not in REASONS:
        raise ValueError(f"reason must be one of {', '.join(REASONS)}")
    return audit(ta, REVEAL, item, reason=reason)
