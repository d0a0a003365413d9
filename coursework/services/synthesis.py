"""Synthesis answers: drafts saved as the student types, submit, edit until reviewed."""
from __future__ import annotations

from django.db import transaction
from django.template.defaultfilters import pluralize
from django.utils import timezone

from .. import states
from ..models import Answer, AnswerGrade, Assignment, QuestionSet, SynthesisResponse
from . import late_days
from .deadlines import Lateness, Request, TaskClosed, at_most, describe_moment, resubmitted_under, terms_for
from .hints import checked_part, hint_for

__all__ = ["NotEditable", "TaskClosed", "closed_to", "response_for", "answers_by_question", "save_answers", "hints", "hinted",
           "missing_answers"]


class NotEditable(Exception):
    """The answers cannot be changed this way now (reviewed, or handed in before a due date
    that has passed); the text says why and what the student can do."""


def response_for(student, question_set: QuestionSet) -> SynthesisResponse:
    response, _ = SynthesisResponse.objects.get_or_create(student=student, question_set=question_set)
    return response


def answers_by_question(response: SynthesisResponse) -> dict[int, str]:
    return dict(response.answers.values_list("question_id", "text"))


def closed_to(student, question_set: QuestionSet) -> str:
    """Why submitting is refused now (past the lock date), or "": told together with any blank
    answers, so a student does not fill them in only to learn the task closed."""
    terms = terms_for(student, Assignment.objects.the(Assignment.SYNTHESIS))
    request = _request(response_for(student, question_set))
    if not terms or (request and request.accepts(timezone.now())):
        return ""
    try:
        terms.refuse_if_closed()
    except TaskClosed as exc:
        return str(exc) + " Your answers are saved as a draft."
    return ""


def save_answers(student, question_set: QuestionSet, texts: dict[int, str], submit: bool = False) -> SynthesisResponse:
    """Store answers (keyed by question id; unknown ids are ignored); submit if asked.
    Raises NotEditable (reviewed), or TaskClosed when submitting past the lock date, after
    keeping the answers as a draft (a resubmission a TA asked for is still accepted)."""
    terms = terms_for(student, Assignment.objects.the(Assignment.SYNTHESIS)) if submit else None
    request = _request(response_for(student, question_set)) if terms else None
    closed = bool(terms and terms.is_closed() and not (request and request.accepts(timezone.now())))
    response = _save(student, question_set, texts, submit and not closed, terms)
    if closed:
        terms.refuse_if_closed()
    return response


@transaction.atomic
def _save(student, question_set: QuestionSet, texts: dict[int, str], submit: bool, terms) -> SynthesisResponse:
    response = SynthesisResponse.objects.select_for_update().get(pk=response_for(student, question_set).pk)
    if not response.editable or response.held:  # a request to resubmit not published yet is not one
        raise NotEditable("A TA has reviewed these answers; they can no longer be changed.")
    valid = set(question_set.questions.values_list("pk", flat=True))
    before = dict(Answer.objects.filter(response=response).values_list("question_id", "text"))
    if not submit and response.status == states.ReviewStatus.SUBMITTED and _edits(texts, before, valid):
        due = terms_for(student, Assignment.objects.the(Assignment.SYNTHESIS))
        if due and due.lateness(timezone.now()).late:
            # Handed in, and the due date has passed: the answers the TA reads are the ones
            # handed in, dated then. Changing them now is a new hand-in, made by submitting.
            raise NotEditable(_kept_as_handed_in(response, due, timezone.now()))
    for question_id, text in texts.items():
        if question_id in valid:
            Answer.objects.update_or_create(response=response, question_id=question_id, defaults={"text": text[:20000]})
    # A group grade was given to the words a TA read: an answer rewritten since is graded again.
    changed = [q for q, text in texts.items() if q in before and before[q] != text[:20000]]
    if changed:
        AnswerGrade.objects.filter(answer__response=response, answer__question_id__in=changed).delete()
    now = timezone.now()
    response.saved_at = now
    if submit:
        lateness = terms.lateness(now) if terms else Lateness(False, 0)
        request = _request(response)
        judged = request.judge(now) if request else None  # against the request's own due date
        # Kept (or cleared: handed in without a request) for staff's later moves of the due date.
        response.request_days_late = judged.days if judged else None
        lateness = at_most(lateness, response.request_days_late)
        states.move_review(response, states.ReviewStatus.SUBMITTED)
        response.submitted_at = now
        response.late, response.days_late = lateness.late, lateness.days
        response.late_days_used = late_days.cover(student, terms and terms.assignment, lateness.days)
    response.save()
    return response


def _kept_as_handed_in(response: SynthesisResponse, terms, now) -> str:
    """Why a save of changed answers is refused after the due date, and what submitting them
    instead would count as: late work, or, in the window of a TA's request, the resubmission
    asked for (judged by the request's date, not the task's)."""
    kept = "These answers were handed in and the due date has passed: they stay as handed in."
    request = _request(response)
    if terms.is_closed(now) and not (request and request.accepts(now)):
        return f"{kept} {terms.assignment.title} closed on {describe_moment(terms.closes_at)}: no new version is accepted."
    judged = request.judge(now) if request else None
    if judged is None or now > request.due:
        return f"{kept} To change them, submit again; the changed answers then count as late work."
    # By the request's date a hand-in is never later than the request says (judged), but the
    # ordinary lateness under it still grows with each day (say, after an extension).
    now_late = at_most(terms.lateness(now), judged.days)
    most = f"{judged.days} day{pluralize(judged.days)} late"
    if not judged.late:
        how = "on time"
    elif not now_late.late:
        how = f"on time if handed in now, and never more than {most}"
    elif now_late.days < judged.days:
        how = f"{now_late.days} day{pluralize(now_late.days)} late if handed in now, never more than {judged.days}"
    else:
        how = most
    return (f"{kept} To change them, submit again by {describe_moment(request.due)}: the changed answers then count "
            f"as the resubmission your TA asked for, {how}.")


def _request(response: SynthesisResponse) -> Request | None:
    """The TA's request the next hand-in is judged by, if one is outstanding: sent back (and
    published), or handed in under it and not reviewed since (a student correcting a typo in
    the resubmission is judged as the request said, not charged late days for it). The row
    holds the request's date (resubmit_by) and what it judged the first resubmission
    (request_days_late); its own lateness is the resubmission's, so the replaced version's
    is worked back from those."""
    if response.held:
        return None
    if response.status == states.ReviewStatus.RESUBMIT:
        return Request(Lateness(response.late, response.days_late), response.resubmit_by)
    if (response.status == states.ReviewStatus.SUBMITTED and response.request_days_late is not None
            and response.resubmit_by is not None and response.submitted_at is not None):
        return resubmitted_under(response.request_days_late, response.resubmit_by, response.submitted_at)
    return None


def _edits(texts: dict[int, str], before: dict[int, str], valid: set[int]) -> bool:
    return any(q in valid and before.get(q, "") != text[:20000] for q, text in texts.items())


def hints(question_set: QuestionSet, texts: dict[int, str]) -> dict[int, dict]:
    return {q.pk: h for q in question_set.questions.all() if (h := hint_for(q, texts.get(q.pk, "")))}


def hinted(question_set: QuestionSet) -> dict[int, str]:
    """For each question that checks part of an answer as it is typed (the page marks them),
    what it checks."""
    return {q.pk: part for q in question_set.questions.all() if (part := checked_part(q))}


def missing_answers(question_set: QuestionSet, texts: dict[int, str]) -> list[int]:
    """Orders of the required (non-bonus) questions left blank."""
    return [q.order for q in question_set.questions.all() if not q.bonus and not texts.get(q.pk, "").strip()]
