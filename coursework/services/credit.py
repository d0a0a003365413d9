"""The credit that counts for one piece of work, and the parts it is made of.

Every page that shows a student's or a TA's figure for a piece of work (the submission
page, the review on the essays and synthesis pages, My progress, the student timeline,
the gradebook) takes it from `for_item`, so a late penalty or a bonus is never applied on
one page and forgotten on the next. The headline is `counts`; the rest explains it.

The gradebook's notebook column ranks in SQL with deadlines.penalised, the same rule as
deadlines.penalty_factor used here.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..models import Assignment, EssaySubmission, Submission
from . import disclosure
from .deadlines import penalty_factor

POINTS, FRACTION = "points", "fraction"


@dataclass(frozen=True)
class Credit:
    unit: str  # POINTS (a review's rubric points) or FRACTION (a notebook's share of the credit)
    before_penalty: float  # what the work earned, bonus included
    max_score: float  # the maximum without bonus points (1.0 for a fraction)
    bonus: float = 0.0  # points from bonus criteria, part of before_penalty
    factor: float = 1.0  # what the late penalty leaves (1.0: none; never below 0)
    days_late: int = 0
    late_days_used: int = 0  # of days_late, covered by the student's late-day bank: no penalty for them
    provisional: bool = False  # a notebook's credit on the public half, before the private half is revealed

    @property
    def counts(self) -> float:
        """The figure that counts: after the late penalty, bonus included."""
        return self.before_penalty * self.factor

    @property
    def base(self) -> float:
        """The points within the maximum, before the late penalty."""
        return self.before_penalty - self.bonus

    @property
    def counts_base(self) -> float:
        return self.base * self.factor

    @property
    def counts_bonus(self) -> float:
        return self.bonus * self.factor

    @property
    def penalty(self) -> float:
        """The fraction taken off for lateness (0.2 for 20%)."""
        return 1.0 - self.factor

    @property
    def fraction(self) -> bool:
        return self.unit == FRACTION


def _points(value: float) -> str:
    return f"{round(value, 2):g}"


def in_words(figure: Credit) -> str:
    """The same figure in plain text, for what is stored or sent rather than drawn by a
    template (a notification's title, its e-mail): "9 of 10 points + 0.9 bonus (10 of 10 + 1
    bonus before the late penalty of 10%)"."""
    if figure.fraction:
        text = f"{figure.counts * 100:.0f}% of the credit" + (" (provisional)" if figure.provisional else "")
        before = f"{figure.before_penalty * 100:.0f}%"
    else:
        text = f"{_points(figure.counts_base)} of {_points(figure.max_score)} points" + (
            f" + {_points(figure.counts_bonus)} bonus" if figure.bonus else "")
        before = f"{_points(figure.base)} of {_points(figure.max_score)}" + (
            f" + {_points(figure.bonus)} bonus" if figure.bonus else "")
    if figure.penalty:
        text += f" ({before} before the late penalty of {figure.penalty * 100:.0f}%)"
    if figure.late_days_used:
        text += f" ({late_days_in_words(figure.late_days_used)} spent: no late penalty)"
    return text


def late_days_in_words(days: int) -> str:
    return f"{days} late day{'' if days == 1 else 's'}"


def counts(score: float | None, task: Assignment | None, days_late: int, late_days_used: int = 0) -> float | None:
    """The figure that counts from a raw score, for callers that read rows rather than objects
    (the gradebook): the same rule as Credit.counts."""
    return None if score is None else score * penalty_factor(task, days_late, late_days_used)


def task_of(item) -> Assignment | None:
    if isinstance(item, Submission):
        return item.assignment
    return Assignment.objects.the(Assignment.ESSAYS if isinstance(item, EssaySubmission) else Assignment.SYNTHESIS)


def bonus_points(item) -> float:
    """The points a review gave on bonus criteria (kept in its rubric snapshot)."""
    return float(sum(c.get("points") or 0 for c in (item.rubric or {}).get("criteria", []) if c.get("bonus")))


def for_item(item, viewer=None, task: Assignment | None = None) -> Credit | None:
    """The credit of one reviewed or graded piece of work as `viewer` may see it; None when it
    has none (not reviewed or graded yet, or reviewed as feedback only). `task`, when the
    caller has it, saves a query."""
    if item is None:
        return None
    task = task if task is not None else task_of(item)
    factor = penalty_factor(task, item.days_late, item.late_days_used)
    if isinstance(item, Submission):
        shown = disclosure.shown(item, viewer)
        if shown.score is None:
            return None
        return Credit(FRACTION, shown.score, 1.0, factor=factor, days_late=item.days_late,
                      late_days_used=item.late_days_used, provisional=shown.provisional)
    if item.score is None or item.feedback_only:
        return None
    if item.held and not (viewer is not None and viewer.is_staff):
        return None  # not published yet (coursework.services.publishing)
    bonus = min(bonus_points(item), item.score)
    return Credit(POINTS, item.score, item.max_score or 0.0, bonus=bonus, factor=factor, days_late=item.days_late,
                  late_days_used=item.late_days_used)
