"""Appeals (regrade requests): a student asks for a second look at reviewed or graded work,
with a reason; a TA answers from the appeals queue; both are audited on the work itself,
and the student is told the answer.

The appeal keeps the result it was filed against, so a regrade or a new review made in
the meantime is plain to the TA answering, and a student whose page was out of date is
told before their appeal is filed.
"""
from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.utils import timezone

from .. import states
from ..models import Appeal, EssaySubmission, Submission, SynthesisResponse
from ..states import AppealStatus
from . import drafts, notifications
from .audit import audit
from .deadlines import describe_moment
from .reviews import person

KINDS = {"synthesis": SynthesisResponse, "essays": EssaySubmission, "notebook": Submission}
REASON_LIMIT = 2000


class AppealRefused(ValueError):
    """An appeal (or an answer) that cannot be saved as asked; the message says why."""


def kind_of(item) -> str:
    return next(kind for kind, model in KINDS.items() if isinstance(item, model))


def item_of(student, kind: str, pk: int):
    """The student's own piece of work (DoesNotExist for anyone else's, or an unknown kind)."""
    model = KINDS.get(kind)
    if model is None:
        raise Submission.DoesNotExist()
    related = {"synthesis": ["question_set__page"], "essays": [], "notebook": ["assignment"]}[kind]
    return model.objects.select_related(*related).get(pk=pk, student=student)


def label(item) -> str:
    if isinstance(item, SynthesisResponse):
        return f"Synthesis: {item.question_set.page.title}"
    if isinstance(item, EssaySubmission):
        return f"Essays, version {item.version}"
    return f"Notebook {item.original_name} (#{item.pk})"


def closes_at(item):
    """When appeals on this work close: APPEAL_WINDOW_DAYS after its result was given (a
    regrade or a new review gives a new result, and a new window); None: they do not close."""
    # A review's result is given when it reaches the student (coursework.services.publishing).
    # (reviewed_at for a review given at once; published_at for one a TA published later).
    given = item.finished_at if isinstance(item, Submission) else max(
        (t for t in (item.reviewed_at, item.published_at) if t is not None), default=None)
    if not settings.APPEAL_WINDOW_DAYS or given is None:
        return None
    return given + timedelta(days=settings.APPEAL_WINDOW_DAYS)


def window_closed(item) -> bool:
    end = closes_at(item)
    return end is not None and timezone.now() >= end


def can_appeal(item) -> bool:
    if getattr(item, "held", False):
        return False  # the student has not been given this review yet
    if window_closed(item):
        return False
    if isinstance(item, Submission):
        return states.submission_appealable(item)
    return states.review_appealable(item)


def state_of(item) -> dict:
    """The result a student sees, and a token that changes whenever it is regraded or reviewed again."""
    if isinstance(item, Submission):
        # A regrade moves attempt_floor, a new run moves attempts, a TA's flag decision the flag.
        token = f"run-{item.attempts}:floor-{item.attempt_floor}:{item.status}:flag-{item.flag_resolution or 'none'}"
        # The public half only: the refusal below tells the student, maybe before the reveal.
        return {"token": token, "status": item.status, "public_accuracy": item.public_accuracy,
                "flag": item.flag_resolution}
    return {"token": f"review-{item.review_version}", "status": item.status, "score": item.score,
            "max_score": item.max_score}


def _result(state: dict) -> str:
    if state.get("public_accuracy") is not None:
        return f"{state['public_accuracy'] * 100:.2f}% on the public half of the test set" + (
            f", flag {state['flag']}" if state.get("flag") else "")
    if state.get("accuracy") is not None:  # filed before the public half alone was kept
        return f"{state['accuracy'] * 100:.2f}% test accuracy" + (
            f", flag {state['flag']}" if state.get("flag") else "")
    if state.get("score") is not None:
        return f"{state['score']:g} of {state['max_score']:g} points"
    return {"queued": "waiting to be graded again", "running": "being graded again"}.get(state.get("status"),
                                                                                         state.get("status", ""))


def file(student, item, reason: str, seen_token: str) -> Appeal:
    """Ask for a second look. Raises AppealRefused with a message for the student."""
    reason = (reason or "").strip()
    if not reason:
        raise AppealRefused("Say what you think was missed or misjudged: an appeal needs a reason.")
    if len(reason) > REASON_LIMIT:
        raise AppealRefused(f"Keep the reason to {REASON_LIMIT:,} characters (yours has {len(reason):,}).")
    with transaction.atomic():
        item = type(item).objects.select_for_update().get(pk=item.pk)
        if window_closed(item):
            raise AppealRefused(f"Appeals on {label(item)} closed on {describe_moment(closes_at(item))}, "
                                f"{settings.APPEAL_WINDOW_DAYS} days after its result was given. If something is "
                                "plainly wrong, write to your TA.")
        if not can_appeal(item):
            raise AppealRefused("Only work that has been reviewed or graded can be appealed.")
        state = state_of(item)
        if seen_token != state["token"]:
            raise AppealRefused(f"{label(item)} was regraded or reviewed again after you opened this page; its "
                                f"result is now {_result(state)}. Read the new result below; if you still "
                                "disagree, appeal again (your reason is still in the box).")
        try:
            with transaction.atomic():
                appeal = Appeal.objects.create(student=student, target=item, what=label(item)[:200], reason=reason,
                                               filed_against=state)
        except IntegrityError:
            raise AppealRefused("You already have an open appeal on this work; your TA will answer it first.") from None
        drafts.discard(student, item)
        audit(student, "appeal_filed", item, appeal=appeal.pk, reason=reason, against=state)
        notifications.appeal_filed(appeal)
    return appeal


def result_changed(appeal: Appeal, item=None) -> bool:
    """Whether the figures the student sees differ from those the appeal was filed against.

    Only the result counts, not the token: a second review that gives the same points, or a
    regrade that reaches the same accuracy, leaves a result that stands."""
    item = item if item is not None else appeal.target
    now = state_of(item)
    # Keys both sides know: an appeal filed before a figure was kept is judged on the rest.
    return any(now[key] != value for key, value in appeal.filed_against.items() if key != "token" and key in now)


def true_outcomes(appeal: Appeal, item=None) -> list[str]:
    """The answers that agree with the work's result now: "changed" once it changed, else "stands"."""
    return [Appeal.CHANGED] if result_changed(appeal, item) else [Appeal.UNCHANGED]


def save_reason(student, item, fields):
    """Keep the reason a student is typing (as they type, and when an appeal is refused)."""
    return drafts.save(student, item, fields, keep=lambda name: name == "reason")


def reason_draft(student, item):
    """The student's draft reason for appealing this work, if they have typed one and not sent it."""
    return drafts.latest(student, item)


# An answer tells the student what became of their result; a review of the work held until a
# TA publishes it is a result they cannot see yet ("being reviewed" on their page).
HELD_REVIEW = ("A review of this work saved since the appeal is not published yet: the student sees the work as "
               "being reviewed, so an answer now would tell them of a result they cannot see. Publish the task's "
               "reviews, then answer. Your answer is still in the box.")


def answer(ta, appeal: Appeal, text: str, outcome: str) -> Appeal:
    """Answer an open appeal (audited on the work, and told to the student).

    The outcome must agree with the result: a student told "the result stands" beside a
    score that moved (or "changed" beside the same one) would not know which to believe. And
    the result must be one the student can see: while a new review of the work is held
    (services.publishing), no answer is given."""
    text = (text or "").strip()
    if outcome not in (Appeal.CHANGED, Appeal.UNCHANGED):
        raise AppealRefused("Say whether the result was changed or stands.")
    if not text:
        raise AppealRefused("Write an answer: the student sees it with the outcome.")
    if len(text) > 4000:
        raise AppealRefused("Keep the answer to 4,000 characters.")
    with transaction.atomic():
        appeal = Appeal.objects.select_for_update(of=("self",)).select_related("answered_by__profile").get(pk=appeal.pk)
        if appeal.status != AppealStatus.OPEN:
            when = timezone.localtime(appeal.answered_at).strftime("%H:%M on %d %b")
            raise AppealRefused(f"{person(appeal.answered_by) if appeal.answered_by else 'Someone'} answered this "
                                f"appeal at {when}; their answer is below. Yours was not saved: it is still in the box.")
        target = type(appeal.target).objects.select_for_update().get(pk=appeal.target_id)
        if getattr(target, "held", False):
            raise AppealRefused(HELD_REVIEW)
        if outcome not in true_outcomes(appeal, target):
            raise AppealRefused(_untrue_outcome(appeal, target, outcome))
        states.move_appeal(appeal, AppealStatus.ANSWERED)
        appeal.answer, appeal.outcome = text, outcome
        appeal.answered_by, appeal.answered_at = ta, timezone.now()
        appeal.save()
        audit(ta, "appeal_answered", target, student=appeal.student, appeal=appeal.pk, outcome=outcome, answer=text,
              now=state_of(target))
        notifications.appeal_answered(appeal)
    return appeal


def _untrue_outcome(appeal: Appeal, item, outcome: str) -> str:
    then, now = _result(appeal.filed_against), _result(state_of(item))
    if outcome == Appeal.UNCHANGED:
        return (f"The result changed since the appeal was filed (it was {then}, it is now {now}), so it does not "
                "stand: answer \u201cI changed the result\u201d. Your answer is still in the box.")
    return (f"The result is still {now}, as when the appeal was filed. To change it, open the work and review or "
            "regrade it first, then answer here; otherwise answer \u201cthe result stands\u201d. "
            "Your answer is still in the box.")


def changed_since_filed(appeal: Appeal, item=None) -> str:
    """What changed in the work's result since the appeal was filed ("" when nothing did)."""
    item = item if item is not None else appeal.target
    now = state_of(item)
    if now["token"] == appeal.filed_against.get("token"):
        return ""
    return (f"Regraded or reviewed again since the appeal was filed: it was {_result(appeal.filed_against)}, "
            f"it is now {_result(now)}.")


def latest_for(item) -> Appeal | None:
    return Appeal.objects.filter(target_type=ContentType.objects.get_for_model(item), target_id=item.pk).select_related(
        "answered_by__profile").first()


def latest_by_item(student) -> dict[tuple[int, int], Appeal]:
    """Each of the student's pieces of work with an appeal -> its newest appeal (one query)."""
    out = {}
    for appeal in Appeal.objects.filter(student=student).select_related("answered_by__profile"):
        out.setdefault((appeal.target_type_id, appeal.target_id), appeal)
    return out
