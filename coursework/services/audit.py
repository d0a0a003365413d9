"""The audit trail: who did what to which piece of work, and what changed."""
from __future__ import annotations

from typing import Callable, Iterable

from django.contrib.contenttypes.models import ContentType

from ..models import AuditEvent


def audit(actor, action: str, target, student=None, **changes) -> AuditEvent:
    """Record one action on `target` (any model instance); `student` defaults to the target's own."""
    if student is None:
        student = getattr(target, "student", None)
    return AuditEvent.objects.create(actor=actor, action=action, target=target, student=student, changes=changes)


def audit_many(actor, action: str, targets: Iterable, changes_of: Callable[[object], dict]) -> int:
    """The same action on many objects of one kind, in one INSERT."""
    targets = list(targets)
    if not targets:
        return 0
    kind = ContentType.objects.get_for_model(targets[0])
    AuditEvent.objects.bulk_create([
        AuditEvent(actor=actor, action=action, target_type=kind, target_id=t.pk,
                   student_id=getattr(t, "student_id", None), changes=changes_of(t))
        for t in targets
    ])
    return len(targets)


def history(target):
    """The events of one object, newest first, with their actors."""
    return target.audit_trail.select_related("actor")
