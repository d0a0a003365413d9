"""What a student (or a TA answering an appeal) sees of a reviewed or graded piece of work:
each criterion's points and comment, the total before and after any late penalty, whether
the rubric changed since, and the appeal that can be made or was answered."""
from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse

from ..models import Appeal, Submission
from ..states import AppealStatus, ReviewStatus
from . import appeals, disclosure, publishing, rubrics
from .credit import Credit
from .credit import for_item as credit_for
from .credit import task_of


@dataclass
class Result:
    item: object
    kind: str  # "synthesis", "essays" or "notebook"
    shown: bool  # a review or a grade to show
    criteria: list[dict]
    score: float | None = None  # after any late penalty
    raw_score: float | None = None
    max_score: float | None = None
    penalty: str = ""
    feedback_only: bool = False
    rubric_changed: bool = False
    appeal: Appeal | None = None
    can_appeal: bool = False
    appeal_closed_at: object = None  # when the appeal window closed, if it has
    appeal_token: str = ""
    appeal_url: str = ""
    appeal_draft: object = None  # the reason the student typed and has not sent (a services.drafts draft)
    figures: object = None  # a notebook's coursework.services.disclosure.Shown, for this viewer
    credit: Credit | None = None  # the figure that counts, and its parts (coursework.services.credit)

    @property
    def appeal_open(self) -> bool:
        return self.appeal is not None and self.appeal.status == AppealStatus.OPEN


def for_item(item, viewer=None) -> Result | None:
    """The result of one piece of work (None for nothing: a missing item)."""
    if item is None:
        return None
    item = publishing.seen_by(item, viewer)
    kind = appeals.kind_of(item)
    appeal = appeals.latest_for(item)
    task = task_of(item)
    credit = credit_for(item, viewer, task=task)
    if isinstance(item, Submission):
        shown = item.accuracy is not None or item.status == "failed"
        figures = disclosure.shown(item, viewer)  # the public half's credit, provisionally, until the reveal
        result = Result(item, kind, shown, [], max_score=1.0, figures=figures)
    else:
        shown = item.status in (ReviewStatus.REVIEWED, ReviewStatus.RESUBMIT) or bool(item.ta_feedback)
        current = rubrics.criteria_for(item) if shown and item.rubric else []
        result = Result(item, kind, shown, (item.rubric or {}).get("criteria", []), max_score=item.max_score,
                        feedback_only=item.feedback_only,
                        rubric_changed=bool(item.rubric) and rubrics.changed_since(item, rubrics.fingerprint(current)))
    if credit is not None:
        result.credit, result.score, result.raw_score = credit, credit.counts, credit.before_penalty
        if credit.penalty:
            result.penalty = (f"{credit.penalty * 100:.0f}% off for {item.days_late} "
                              f"day{'s' if item.days_late != 1 else ''} late")
    result.appeal = appeal
    result.can_appeal = appeals.can_appeal(item) and not result.appeal_open
    if appeals.window_closed(item):
        result.appeal_closed_at = appeals.closes_at(item)
    if viewer is not None and viewer.pk == item.student_id:
        result.appeal_token = appeals.state_of(item)["token"]
        result.appeal_url = reverse("appeal_create", args=[kind, item.pk])
        if result.can_appeal:
            result.appeal_draft = appeals.reason_draft(viewer, item)
    return result
