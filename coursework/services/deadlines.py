"""Due dates, extensions and the late policy: the one place that decides whether work is
late, by how many days, and whether a task still accepts it.

A student's due date is the task's, unless staff gave the student (or the student's
group) an extension; the student's own extension wins over their group's. What happens
after it is the task's late policy: accept the work marked late, accept it with a penalty
per day (or part of a day) late, or accept it until a lock date and then refuse it. An
extension also moves the lock date for that student when it ends later.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import ExpressionWrapper, F, FloatField, Max, Q, Value
from django.db.models.functions import Cast, Greatest
from django.utils import timezone
from django.utils.formats import date_format

from ..models import Assignment, EssaySubmission, Extension, Profile, StudyGroup, Submission, SynthesisResponse
from . import late_days
from .audit import audit

DAY_S = 86400


class TaskClosed(Exception):
    """The task no longer accepts work from this student; the message says since when."""


class ExtensionRefused(ValueError):
    """An extension staff cannot grant as asked; the message says why."""


@dataclass(frozen=True)
class Lateness:
    late: bool
    days: int  # whole days late, a part day counting as one; 0 when on time


def request_judgement(replaced: Lateness, resubmit_by: datetime | None, when: datetime) -> Lateness | None:
    """How late a resubmission a TA asked for, handed in at `when`, is by the request alone
    (None: the request carries no due date, so only the ordinary terms judge it).

    By `resubmit_by` it is as late as the version it replaces (`replaced`): the TA chose when
    to ask, so the student spends no new late day and takes no new penalty for it. After
    that date it is late by the replaced version's days plus the whole days past it (a part
    day counting as one), so the request is a due date, not unlimited time."""
    if resubmit_by is None:
        return None
    if when <= resubmit_by:
        return replaced
    return Lateness(True, replaced.days + math.ceil((when - resubmit_by).total_seconds() / DAY_S))


@dataclass(frozen=True)
class Request:
    """A TA's request to resubmit, as it judges the student's next hand-in: the lateness of
    the version it replaced and its due date (None: only the ordinary terms judge)."""
    replaced: Lateness
    due: datetime | None
    again: bool = False  # handed in under it already, and not reviewed since

    def judge(self, when: datetime) -> Lateness | None:
        return request_judgement(self.replaced, self.due, when)

    def accepts(self, when: datetime) -> bool:
        """Whether it lets work in past the task's lock date. The first version asked for is
        always accepted (late by the days past the request's date). A further one, correcting
        it before the TA looks again, only until that date: else the request would give
        unlimited time."""
        return not self.again or (self.due is not None and when <= self.due)


def resubmitted_under(bound: int, due: datetime, handed_in: datetime) -> Request:
    """The request a version handed in at `handed_in` and judged `bound` days late by it
    (request_days_late) was handed in under: request_judgement undone, so that a further
    version is judged by the same request where the version it replaced is no longer kept
    (a synthesis response is one row, and its lateness may since have been judged again)."""
    past = math.ceil((handed_in - due).total_seconds() / DAY_S) if handed_in > due else 0
    days = max(0, bound - past)
    return Request(Lateness(days > 0, days), due, again=True)


def at_most(ordinary: Lateness, bound: int | None) -> Lateness:
    """`ordinary` (against the student's own due date), but never later than `bound` days, the
    request's judgement (None: no bound). Never the other way round: a request must not make
    work late that would be on time without it (a date chosen before the task's due date)."""
    if bound is None or ordinary.days <= bound:
        return ordinary
    return Lateness(bound > 0, bound)


def resubmission_due(terms: Terms | None, start: datetime) -> datetime:
    """The default date a requested resubmission is due: RESUBMISSION_DAYS after `start` (when
    the student can first see the request), or after their own due date if that is later, so a
    request made before the deadline never shortens the time the task gave."""
    due = terms.due if terms else None
    return end_of_minute(max(start, due or start) + timedelta(days=max(0, settings.RESUBMISSION_DAYS)))


def end_of_minute(moment: datetime) -> datetime:
    """The last moment of `moment`'s minute: pages show a due date to the minute ("by 11:59"),
    so a hand-in at 11:59:50 must be in time even when the date was worked out as 11:59:13."""
    return moment.replace(second=59, microsecond=999999)


def end_of_day(day: date) -> datetime:
    """The last moment of `day` in the site's time zone: a date a TA picks includes that day."""
    return timezone.make_aware(datetime.combine(day, time.max))  # 23:59:59.999999: hand-ins carry microseconds


@dataclass(frozen=True)
class Terms:
    """What one student is told about one task before handing work in."""

    assignment: Assignment
    due: datetime | None  # the student's own due date
    original_due: datetime | None  # the task's
    extension: Extension | None  # the extension that set `due`, if any

    @property
    def policy(self) -> str:
        return self.assignment.late_policy

    @property
    def closes_at(self) -> datetime | None:
        """The last moment work is accepted (None: never closes)."""
        if self.policy != Assignment.CLOSE:
            return None
        lock = self.assignment.lock_at or self.original_due
        if lock is None:
            return None
        return max(lock, self.due) if self.due else lock

    def lateness(self, when: datetime) -> Lateness:
        if self.due is None or when <= self.due:
            return Lateness(False, 0)
        return Lateness(True, math.ceil((when - self.due).total_seconds() / DAY_S))

    def is_closed(self, when: datetime | None = None) -> bool:
        closes = self.closes_at
        return closes is not None and (when or timezone.now()) > closes

    def penalty_factor(self, days_late: int, late_days_used: int = 0) -> float:
        return penalty_factor(self.assignment, days_late, late_days_used)

    def describe(self) -> str:
        """The policy in one sentence, for the student, before they hand work in."""
        if self.due is None:
            return "This task has no due date."
        due = describe_moment(self.due)
        if self.extension and self.original_due:
            due += f" (your extension; the task's own due date is {describe_moment(self.original_due)})"
        if self.policy == Assignment.PENALTY:
            per_day = self.assignment.late_penalty_per_day * 100
            return (f"Due {due}. Work handed in later is accepted, but its score loses {per_day:g}% for each day "
                    "(or part of a day) it is late.")
        if self.policy == Assignment.CLOSE:
            return (f"Due {due}. Work handed in later is accepted, marked late, until {describe_moment(self.closes_at)}; "
                    "after that this task accepts no more work.")
        return f"Due {due}. Work handed in later is accepted and marked late."

    def refuse_if_closed(self, when: datetime | None = None) -> None:
        if self.is_closed(when):
            raise TaskClosed(f"{self.assignment.title} closed on {describe_moment(self.closes_at)}: late work is no longer "
                             "accepted. If something kept you from handing it in, ask your TA about an extension.")


def penalty_factor(assignment: Assignment | None, days_late: int, late_days_used: int = 0) -> float:
    """What a score is multiplied by, `days_late` days late (stored on the work, against the
    student's own due date), of which `late_days_used` are covered by the late-day bank."""
    days = days_late - late_days_used
    if assignment is None or assignment.late_policy != Assignment.PENALTY or days <= 0:
        return 1.0
    return max(0.0, 1.0 - assignment.late_penalty_per_day * days)


def penalised(assignment: Assignment | None, field: str = "score"):
    """The same, as an SQL expression over a row's `field` and `days_late` (to rank and sum in the database)."""
    if assignment is None or assignment.late_policy != Assignment.PENALTY:
        return F(field)
    rate = Value(float(assignment.late_penalty_per_day), output_field=FloatField())
    factor = Greatest(Value(0.0, output_field=FloatField()),
                      Value(1.0, output_field=FloatField())
                      - rate * Cast(F("days_late") - F("late_days_used"), FloatField()))
    return ExpressionWrapper(F(field) * factor, output_field=FloatField())


def describe_moment(moment: datetime) -> str:
    return date_format(timezone.localtime(moment), "D j M Y, H:i T")


def describe_clock(moment: datetime) -> str:
    """A time of today as the pages write it ("14:02:50", the site's zone), for a page's
    script to show: the browser's own clock would say "2:02:32 PM", in another zone."""
    return date_format(timezone.localtime(moment), "H:i:s")


def _group_id(student) -> int | None:
    return Profile.objects.filter(user=student).values_list("group_id", flat=True).first()


def terms_for(student, assignment: Assignment | None) -> Terms | None:
    """The student's terms for a task (None where the task does not exist yet)."""
    if assignment is None:
        return None
    return terms_for_many(student, [assignment])[assignment.pk]


def terms_for_many(student, assignments) -> dict[int, Terms]:
    """Terms for several tasks in one query: assignment id -> Terms."""
    assignments = list(assignments)
    group_id = _group_id(student)
    who = Q(student=student) | (Q(group_id=group_id) if group_id else Q(pk__in=[]))
    mine: dict[int, Extension] = {}
    for extension in Extension.objects.filter(who, assignment__in=assignments):
        held = mine.get(extension.assignment_id)
        if held is None or (held.group_id and extension.student_id):  # the student's own wins
            mine[extension.assignment_id] = extension
    out = {}
    for assignment in assignments:
        extension = mine.get(assignment.pk)
        due = extension.due_at if extension else assignment.due_at
        out[assignment.pk] = Terms(assignment, due, assignment.due_at, extension)
    return out


def due_for(student, assignment: Assignment) -> datetime | None:
    """The student's own due date for a task: the task's, or their extension's."""
    terms = terms_for(student, assignment)
    return terms.due if terms else None


def last_due(assignment: Assignment) -> datetime | None:
    """When the last student's time for this task runs out, extensions included."""
    latest = assignment.extensions.aggregate(latest=Max("due_at"))["latest"]
    candidates = [d for d in (assignment.due_at, latest) if d is not None]
    return max(candidates) if candidates else None


# --- extensions ---------------------------------------------------------------------


def check_extension(assignment: Assignment, due_at: datetime | None, student, group) -> str:
    """What is wrong with an extension as asked ("" when it can be granted)."""
    if (student is None) == (group is None):
        return "Choose either one student or one group for the extension."
    if assignment.due_at is None:
        return f"{assignment.title} has no due date to extend; set one first."
    if due_at is None:
        return "Give the new due date."
    if due_at <= assignment.due_at:
        return (f"An extension must end after the task's own due date ({describe_moment(assignment.due_at)}); "
                f"{describe_moment(due_at)} is not later.")
    return ""


@transaction.atomic
def grant_extension(actor, assignment: Assignment, due_at: datetime, *, student=None, group: StudyGroup | None = None,
                    reason: str = "") -> Extension:
    """Give a student (or a group) a later due date for a task, replacing an earlier
    extension of theirs; their work already handed in is judged late or not again."""
    problem = check_extension(assignment, due_at, student, group)
    if problem:
        raise ExtensionRefused(problem)
    target = {"student": student} if student is not None else {"group": group}
    previous = Extension.objects.select_for_update().filter(assignment=assignment, **target).first()
    before = previous.due_at.isoformat() if previous else None
    extension, _ = Extension.objects.update_or_create(
        assignment=assignment, **target,
        defaults={"due_at": due_at, "reason": reason[:500], "granted_by": actor, "granted_at": timezone.now()})
    audit(actor, "extension_granted", assignment, student=student, group=group.name if group else None,
          before=before, after=due_at.isoformat(), reason=reason[:500])
    recompute_lateness(assignment, _students_of(student, group))
    return extension


@transaction.atomic
def withdraw_extension(actor, extension: Extension) -> None:
    assignment, student, group = extension.assignment, extension.student, extension.group
    audit(actor, "extension_withdrawn", assignment, student=student, group=group.name if group else None,
          before=extension.due_at.isoformat())
    extension.delete()
    recompute_lateness(assignment, _students_of(student, group))


def _students_of(student, group) -> list[int]:
    if student is not None:
        return [student.pk]
    return list(Profile.objects.filter(group=group).values_list("user_id", flat=True))


def recompute_lateness(assignment: Assignment, student_ids: list[int] | None = None) -> int:
    """Judge the handed-in work on this task (of these students, or of everyone) against each
    student's current terms. A few queries whatever the number of students."""
    if assignment.kind == Assignment.NOTEBOOK:
        items, when = Submission.objects.filter(assignment=assignment), "created_at"
    elif assignment.kind == Assignment.ESSAYS:
        items, when = EssaySubmission.objects.all(), "submitted_at"
    else:
        items, when = SynthesisResponse.objects.filter(submitted_at__isnull=False), "submitted_at"
    if student_ids is not None:
        items = items.filter(student_id__in=student_ids)
    # Work handed in under a TA's request keeps the request's judgement as its upper bound
    # (request_days_late): the bound, not a flag, is stored, because the version it replaced
    # may since be gone (a synthesis response is one row) and a withdrawn extension must
    # bring back the request's judgement, not whatever an earlier recompute left.
    reviewed = assignment.kind != Assignment.NOTEBOOK
    items = list(items.only("pk", "student_id", "late", "days_late", "late_days_used", when,
                            *(["request_days_late"] if reviewed else [])))
    groups = dict(Profile.objects.filter(user_id__in={i.student_id for i in items}).values_list("user_id", "group_id"))
    extensions = list(assignment.extensions.all())
    own = {e.student_id: e for e in extensions if e.student_id}
    of_group = {e.group_id: e for e in extensions if e.group_id}
    changed = {}
    for item in items:
        extension = own.get(item.student_id) or of_group.get(groups.get(item.student_id))
        terms = Terms(assignment, extension.due_at if extension else assignment.due_at, assignment.due_at, extension)
        # Staff's new terms can only help work the request judged: never later than it said.
        lateness = at_most(terms.lateness(getattr(item, when)), item.request_days_late if reviewed else None)
        if (item.late, item.days_late) != (lateness.late, lateness.days):
            item.late, item.days_late = lateness.late, lateness.days
            changed[item.pk] = item
    # Late days that covered lateness staff have since moved away go back to the bank.
    for item in late_days.refit(assignment, items):
        changed[item.pk] = item
    if changed:
        type(items[0]).objects.bulk_update(list(changed.values()), ["late", "days_late", "late_days_used"],
                                           batch_size=500)
    return len(changed)


TERMS_FIELDS = ("due_at", "late_policy", "late_penalty_per_day", "lock_at")


@transaction.atomic
def set_terms(actor, assignment: Assignment, **fields) -> int:
    """Change a task's due date or late policy (audited); everyone's handed-in work is
    judged again against it. Returns how many pieces of work changed."""
    # From the database: a form may already have set the new values on this instance.
    stored = Assignment.objects.filter(pk=assignment.pk).values(*TERMS_FIELDS).get()
    before = {name: _plain(stored[name]) for name in TERMS_FIELDS}
    for name, value in fields.items():
        setattr(assignment, name, value)
    assignment.save(update_fields=list(fields))
    after = {name: _plain(getattr(assignment, name)) for name in TERMS_FIELDS}
    if after != before:
        audit(actor, "deadline_changed", assignment, before=before, after=after)
    return recompute_lateness(assignment)


def _plain(value):
    return value.isoformat() if isinstance(value, datetime) else value
