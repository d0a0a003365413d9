"""Synthesis answers: drafts saved as the student types, submit, edit until reviewed."""
from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from .. import states
from ..models import Answer, Assignment, QuestionSet, SynthesisResponse
from .hints import hint_for


class NotEditable(Exception):
    """A reviewed response is closed; the student sees the TA's feedback instead."""


def response_for(student, question_set: QuestionSet) -> SynthesisResponse:
    response, _ = SynthesisResponse.objects.get_or_create(student=student, question_set=question_set)
    return response


def answers_by_question(response: SynthesisResponse) -> dict[int, str]:
    return dict(response.answers.values_list("question_id", "text"))


@transaction.atomic
def save_answers(student, question_set: QuestionSet, texts: dict[int, str], submit: bool = False) -> SynthesisResponse:
    """Store answers (keyed by question id; unknown ids are ignored); submit if asked."""
    response = SynthesisResponse.objects.select_for_update().get(pk=response_for(student, question_set).pk)
    if not response.editable:
        raise NotEditable("A TA has reviewed these answers; they can no longer be changed.")
    valid = set(question_set.questions.values_list("pk", flat=True))
    for question_id, text in texts.items():
        if question_id in valid:
            Answer.objects.update_or_create(response=response, question_id=question_id, defaults={"text": text[:20000]})
    now = timezone.now()
    response.saved_at = now
    if submit:
        due = getattr(Assignment.objects.the(Assignment.SYNTHESIS), "due_at", None)
        states.move_review(response, states.ReviewStatus.SUBMITTED)
        response.submitted_at = now
        response.late = due is not None and now > due
    response.save()
    return response


def hints(question_set: QuestionSet, texts: dict[int, str]) -> dict[int, dict]:
    return {q.pk: h for q in question_set.questions.all() if (h := hint_for(q, texts.get(q.pk, "")))}


def missing_answers(question_set: QuestionSet, texts: dict[int, str]) -> list[int]:
    """Orders of the required (non-bonus) questions left blank."""
    return [q.order for q in question_set.questions.all() if not q.bonus and not texts.get(q.pk, "").strip()]
