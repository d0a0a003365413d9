"""Regrading: rows queued again, audited, and sent in their turn."""
from __future__ import annotations

from django.db import transaction

from .. import states
from ..models import Submission
from ..services.audit import audit_many
from .dispatch import dispatch_quietly


def regrade(submission_ids, actor, *, via: str) -> int:
    """Queue submissions again (not those running right now), audited, and send them
    after commit. The one way to regrade: the dashboard, the admin and `manage.py
    regrade` all come here. `via` says which, for the audit trail."""
    with transaction.atomic():
        before = {s.pk: s for s in Submission.objects.filter(pk__in=list(submission_ids))
                  .only("pk", "student_id", "status", "accuracy", "flag_resolution")}
        ids = states.requeue_for_regrade(list(before), queued_by=actor)
        audit_many(actor, "regrade", [before[pk] for pk in ids], lambda s: {
            "via": via, "previous_status": s.status, "previous_accuracy": s.accuracy,
            "previous_flag_decision": s.flag_resolution})
        transaction.on_commit(dispatch_quietly)
    return len(ids)


def regrade_problems(actor) -> int:
    """Every failed or errored notebook, queued again (a TA's "regrade all failed")."""
    ids = Submission.objects.filter(status__in=states.PROBLEMS).values_list("pk", flat=True)
    return regrade(ids, actor, via="dashboard: regrade all failed")
