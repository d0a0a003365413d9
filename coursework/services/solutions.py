"""When the technical project's reference solution (the seed's "answers" link) is offered
to a student: after their own due date (with any extension), or earlier, where the
assignment allows it, once they have a graded submission at full credit."""
from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone

from ..models import Assignment
from .deadlines import describe_moment, terms_for


@dataclass
class SolutionAccess:
    open: bool
    why: str  # for the page: why it is offered, or when it will be


def _reached_full_credit(student, assignment: Assignment) -> bool:
    # A flagged grade counts only once a TA cleared it.
    return assignment.submissions.counted().filter(student=student,
                                                   accuracy__gte=assignment.full_credit_accuracy).exists()


def access(user, assignment: Assignment) -> SolutionAccess:
    if user.is_staff:
        return SolutionAccess(True, "Staff always see the solution.")
    terms = terms_for(user, assignment)
    due = terms.due if terms else None
    if due is not None and timezone.now() >= due:
        return SolutionAccess(True, "Your due date has passed, so the reference solution is yours to compare with.")
    early = bool(assignment.solution_at_full_credit)
    if early and _reached_full_credit(user, assignment):
        return SolutionAccess(True, "You reached full credit, so the reference solution is open to you early.")
    when = f"after your due date ({describe_moment(due)})" if due else "once the task has a due date and it has passed"
    if early:
        when += f", or as soon as a graded submission of yours reaches {assignment.full_credit_accuracy:.0%}"
    return SolutionAccess(False, f"The reference solution opens {when}.")
