import json
from datetime import timedelta

import pytest
from django.utils import timezone

from coursework.models import Answer, Assignment, QuestionSet, SynthesisResponse
from coursework.services.content import load_content
from tests.factories import make_student

pytestmark = pytest.mark.django_db
SLUG = "archive-gradient-descent"


@pytest.fixture
def qs():
    load_content()
    return QuestionSet.objects.get(page__slug=SLUG)


@pytest.fixture
def student(client):
    user = make_student()
    client.force_login(user)
    return user


def answers(qs, text="Because the network must generalise.", **overrides):
    data = {f"q-{q.pk}": ("" if q.bonus else text) for q in qs.questions.all()}
    data.update(overrides)
    return data


def test_autosave_keeps_a_draft_and_returns_a_hint_for_checkable_answers(client, student, qs):
    mse = qs.questions.get(answer_check="mse")
    response = client.post(f"/synthesis/{SLUG}/autosave/", {f"q-{mse.pk}": "0.25"})
    body = json.loads(response.content)
    assert body["saved"] and body["status"] == "draft"
    assert body["hints"][str(mse.pk)]["ok"] is False
    assert Answer.objects.get(question=mse).text == "0.25"


def test_the_page_marks_which_questions_give_hints_and_only_those(client, student, qs):
    page = client.get(f"/synthesis/{SLUG}/").content.decode()
    checked = list(qs.questions.exclude(answer_check="").values_list("pk", flat=True))
    unchecked = list(qs.questions.filter(answer_check="").values_list("pk", flat=True))
    assert checked and unchecked
    assert all(f'id="gives-hint-{pk}"' in page for pk in checked)
    assert "Checks one part of your answer as you type (the number you give as the loss)" in page
    assert not any(f'id="gives-hint-{pk}"' in page for pk in unchecked)


def test_submitting_with_a_required_answer_blank_names_it_and_keeps_the_rest(client, student, qs):
    data = answers(qs)
    first = qs.questions.get(order=1)
    data[f"q-{first.pk}"] = ""
    page = client.post(f"/synthesis/{SLUG}/", {**data, "submit": "1"}).content.decode()
    assert "still blank: question 1" in page
    assert "Because the network must generalise." in page  # nothing typed is lost
    assert SynthesisResponse.objects.get().status == "draft"


def test_a_submitted_set_can_be_edited_until_a_ta_reviews_it(client, student, qs):
    client.post(f"/synthesis/{SLUG}/", {**answers(qs), "submit": "1"})
    response = SynthesisResponse.objects.get()
    assert response.status == "submitted" and not response.late
    client.post(f"/synthesis/{SLUG}/", {**answers(qs, "Second thoughts."), "submit": "1"})
    assert Answer.objects.filter(text="Second thoughts.").exists()

    SynthesisResponse.objects.update(status="reviewed", ta_feedback="Good work <b>really</b>")
    page = client.get(f"/synthesis/{SLUG}/").content.decode()
    assert "Good work &lt;b&gt;really&lt;/b&gt;" in page and "readonly" in page
    reply = client.post(f"/synthesis/{SLUG}/autosave/", answers(qs, "Too late"))
    assert reply.status_code == 409
    assert not Answer.objects.filter(text="Too late").exists()


def test_work_submitted_after_the_due_date_is_accepted_and_marked_late(client, student, qs):
    Assignment.objects.create(slug="synthesis", title="S", kind=Assignment.SYNTHESIS,
                              due_at=timezone.now() - timedelta(hours=1))
    client.post(f"/synthesis/{SLUG}/", {**answers(qs), "submit": "1"})
    assert SynthesisResponse.objects.get().late


def test_answers_to_questions_of_another_set_are_ignored(client, student, qs):
    other = QuestionSet.objects.exclude(pk=qs.pk).first().questions.first()
    client.post(f"/synthesis/{SLUG}/autosave/", {f"q-{other.pk}": "sneaky"})
    assert not Answer.objects.filter(question=other).exists()


def test_a_bonus_question_is_marked_once_not_twice(client, student, qs):
    bonus = qs.questions.get(bonus=True)
    assert bonus.text.startswith("Bonus:")  # the content's own wording

    page = client.get(f"/synthesis/{SLUG}/").content.decode()

    assert "<em>Bonus (optional):</em> a two-class network outputs" in page
    assert "Bonus (optional).</em> Bonus:" not in page and page.count("Bonus") == 1


def test_answers_handed_in_on_time_are_not_rewritten_by_a_save_after_the_due_date(course):
    from coursework.services import synthesis

    student = make_student("late-editor")
    qs = QuestionSet.objects.first()
    handed_in = {q.pk: "Weights scale each input." for q in qs.questions.all()}
    response = synthesis.save_answers(student, qs, handed_in, submit=True)
    assert not response.late
    Assignment.objects.filter(kind=Assignment.SYNTHESIS).update(due_at=timezone.now() - timedelta(days=5))
    with pytest.raises(synthesis.NotEditable, match="submit again"):
        synthesis.save_answers(student, qs, {pk: "Rewritten after seeing the solutions." for pk in handed_in})
    assert set(Answer.objects.filter(response=response).values_list("text", flat=True)) == {"Weights scale each input."}
    synthesis.save_answers(student, qs, handed_in)  # saving what was handed in changes nothing: allowed
    # Submitting the changes is allowed: they are then dated now, and late.
    again = synthesis.save_answers(student, qs, {pk: "Rewritten." for pk in handed_in}, submit=True)
    assert again.late and again.days_late == 6  # five days and a moment: a part day counts as one
