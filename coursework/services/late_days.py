"""The late-day bank: settings.LATE_DAYS days each student may spend, across the course's
tasks, to hand work in late without the late penalty.

The rules (docs/grading.md, "Late days"):
- Days are spent by themselves, when late work is handed in, on a task whose late policy
  takes a penalty (under the other policies lateness costs nothing the bank could buy back).
- A piece of work is covered whole or not at all: the smallest number of whole days that
  covers its lateness (a part day counts as one, as the penalty counts it), and only if
  the bank holds them all; otherwise nothing is spent and the penalty applies as usual.
- Days spent on a task cover all of that task's work up to that many days late: a second
  late version of the essays spends only the days the first did not.
- Spent days stay spent when the work later stops counting (a notebook that fails, an
  essay version replaced): they bought the right to hand it in late. They come back only
  when staff move the due date (an extension, a new due date) so that the work they
  covered is no longer that late.
- Never spent twice: the student's row is locked while the bank is read and written, so
  two late hand-ins at once (two tasks, two browser tabs) cannot both spend the last day.
"""
from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from ..models import Assignment, LateDaySpend
from .audit import audit


def allowance() -> int:
    return max(0, settings.LATE_DAYS)


def spent(student) -> dict[int, int]:
    """Days spent by task id."""
    return dict(LateDaySpend.objects.filter(student=student, days__gt=0).values_list("assignment_id", "days"))


def remaining(student) -> int:
    used = LateDaySpend.objects.filter(student=student).aggregate(n=Sum("days"))["n"] or 0
    return max(0, allowance() - used)


def spends(assignment: Assignment | None) -> bool:
    """Whether late work on this task draws on the bank."""
    return allowance() > 0 and assignment is not None and assignment.late_policy == Assignment.PENALTY


def cover(student, assignment: Assignment | None, days_late: int) -> int:
    """The late days that cover work handed in `days_late` days late on this task, spending
    from the bank what the task does not hold yet; 0 when the bank cannot cover it all.
    Call inside the transaction that stores the work."""
    if days_late <= 0 or not spends(assignment):
        return 0
    assert transaction.get_connection().in_atomic_block, "spend late days in the hand-in's transaction"
    # One student's bank at a time: their user row is the lock (SQLite serialises writers anyway).
    list(get_user_model().objects.select_for_update().filter(pk=student.pk).values_list("pk"))
    held = spent(student)
    have = held.get(assignment.pk, 0)
    if days_late <= have:
        return days_late
    extra = days_late - have
    if extra > allowance() - sum(held.values()):
        return 0
    LateDaySpend.objects.update_or_create(student=student, assignment=assignment,
                                          defaults={"days": days_late, "updated_at": timezone.now()})
    audit(student, "late_days_spent", assignment, student=student, before=have, after=days_late)
    return days_late


def refit(assignment: Assignment, items: list) -> list:
    """After staff moved this task's due date for some students (`items`: their work, with
    `days_late` judged again): work stays covered if it was and its lateness still fits
    the days held; each student's days held shrink to what their covered work needs (the
    rest goes back to the bank). Returns the items whose late_days_used changed.

    Work handed in under a TA's request needs nothing more here: its `days_late` is never
    above what the request judged (deadlines.recompute_lateness), which is what its days
    covered at hand-in, so it stays covered, and fewer days give the rest back."""
    changed = []
    need: dict[int, int] = {}
    held = {s.student_id: s for s in LateDaySpend.objects.filter(assignment=assignment,
                                                                 student_id__in={i.student_id for i in items})}
    for item in items:
        spend = held.get(item.student_id)
        covered = item.days_late if (item.late_days_used and spend and 0 < item.days_late <= spend.days) else 0
        if covered != item.late_days_used:
            item.late_days_used = covered
            changed.append(item)
        need[item.student_id] = max(need.get(item.student_id, 0), covered)
    for student_id, spend in held.items():
        if need.get(student_id, 0) < spend.days:
            audit(None, "late_days_refunded", assignment, student=spend.student, before=spend.days,
                  after=need.get(student_id, 0))
            spend.days, spend.updated_at = need.get(student_id, 0), timezone.now()
            spend.save(update_fields=["days", "updated_at"])
    return changed
