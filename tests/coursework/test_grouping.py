"""A synthesis question's answers in groups: a group graded at once, each member adjustable,
reviewed members kept unless replaced, other TAs' claims respected, everything audited."""
import pytest
from django.urls import reverse

from coursework.models import Answer, AnswerGrade, AuditEvent, Notification, Question, SynthesisResponse
from coursework.services import claims, grouping, rubrics
from tests.factories import make_profile, make_student, make_ta, submitted_synthesis

pytestmark = pytest.mark.django_db

SLUG = "video-what-is-a-neural-network"
TEXTS = ["10 neurons, one per digit", "10 neurons, one per digit.", "10 nuerons, one per digit", "It has 2 neurons"]


@pytest.fixture
def answers(course):
    responses = []
    for i, text in enumerate(TEXTS):
        student = make_student(f"student{i}")
        make_profile(student)
        responses.append(submitted_synthesis(student, slug=SLUG, text=text))
    question = Question.objects.get(question_set__page__slug=SLUG, text__startswith="What does the last layer")
    criterion = grouping.criterion_for(question, rubrics.criteria_for(responses[0]))
    return {"responses": responses, "question": question, "criterion": criterion,
            "answers": [Answer.objects.get(response=r, question=question) for r in responses]}


def page_groups(client, question):
    response = client.get(reverse("ta_answer_groups", args=[question.pk]))
    assert response.status_code == 200
    return response


def test_similar_answers_share_a_group_and_names_stay_hidden(client, ta, answers):
    response = page_groups(client, answers["question"])
    groups = response.context["groups"]
    assert [len(g.members) for g in groups] == [3, 1]
    assert groups[1].members[0].text == "It has 2 neurons"
    assert response.context["criterion"].name == f"Question {answers['question'].order}"
    assert "Student0" not in response.content.decode()
    assert f"Student of item {answers['responses'][0].pk}" in response.content.decode()


def test_grading_a_group_gives_every_member_the_points_and_audits_each(client, ta, answers):
    members = answers["answers"][:3]
    client.post(reverse("ta_answer_groups", args=[answers["question"].pk]),
                {"criterion": answers["criterion"].pk, "points": "2", "comment": "Right.",
                 "answers": ",".join(str(a.pk) for a in members)})
    assert sorted(AnswerGrade.objects.values_list("answer_id", "points", "comment")) == [
        (a.pk, 2.0, "Right.") for a in members]
    events = AuditEvent.objects.filter(action="group_grade")
    assert sorted(e.target_id for e in events) == sorted(a.response_id for a in members)
    assert all(e.changes["after"] == 2.0 and e.changes["before"] is None for e in events)
    # The other questions have no points yet: no review is completed, no student told.
    assert not SynthesisResponse.objects.filter(status="reviewed").exists()
    # The member's review page is filled in with the group's points.
    page = client.get(reverse("ta_review_synthesis", args=[members[0].response_id]))
    assert page.context["form"].initial[f"criterion-{answers['criterion'].pk}"] == "2"


def grade_form(body: str, group) -> str:
    return body.split(f'id="grade-{group.number}"', 1)[1].split("</form>", 1)[0]


def test_every_wording_is_ticked_and_a_wording_left_out_of_a_group_grade_is_not_graded(client, ta, answers):
    # Grouping can join answers a deciding word the strata do not know sets apart: the TA, who
    # reads every wording, leaves one out of the grade.
    response = page_groups(client, answers["question"])
    group, body = response.context["groups"][0], response.content.decode()
    assert [w.text for w in group.wordings] == TEXTS[:3]
    for w in group.wordings:
        assert f'name="answers" value="{w.ids}" form="grade-{group.number}"' in body
    assert body.count('type="checkbox" name="answers"') == body.count('" checked> Grade the answer') == 3
    assert 'name="unlisted"' not in grade_form(body, group)
    alone = response.context["groups"][1]  # one wording: no tick box, the form names its answers
    assert 'name="answers" value="{}"'.format(alone.ids) in grade_form(body, alone)
    client.post(reverse("ta_answer_groups", args=[answers["question"].pk]),
                {"criterion": answers["criterion"].pk, "points": "2", "answers": [w.ids for w in group.wordings[:2]]})
    assert sorted(AnswerGrade.objects.values_list("answer_id", flat=True)) == sorted(
        a.pk for a in answers["answers"][:2])


def test_wordings_a_page_does_not_list_are_graded_with_the_group_and_the_page_says_so(client, ta, answers,
                                                                                       monkeypatch):
    from coursework.views.staff import grouping as view

    monkeypatch.setattr(view, "WORDINGS_SHOWN", 1)
    response = page_groups(client, answers["question"])
    group, body = response.context["groups"][0], response.content.decode()
    assert body.count('type="checkbox" name="answers"') == 1  # the second group has one wording: nothing to leave out
    assert f'<input type="hidden" name="unlisted" value="{group.unshown_ids}">' in grade_form(body, group)
    assert "and 2 more wordings, in the group, graded with it" in body
    client.post(reverse("ta_answer_groups", args=[answers["question"].pk]),
                {"criterion": answers["criterion"].pk, "points": "2",
                 "answers": group.wordings_shown[0].ids, "unlisted": group.unshown_ids})
    assert AnswerGrade.objects.count() == 3
    # Every listed wording unticked: refused, not given to the unlisted ones alone.
    AnswerGrade.objects.all().delete()
    refused = client.post(reverse("ta_answer_groups", args=[answers["question"].pk]),
                          {"criterion": answers["criterion"].pk, "points": "2", "unlisted": group.unshown_ids},
                          follow=True)
    assert "No answers were chosen: tick at least one wording." in refused.content.decode()
    assert not AnswerGrade.objects.exists()
    opened = client.get(reverse("ta_answer_groups", args=[answers["question"].pk]), {"group": group.number})
    assert opened.content.decode().count('type="checkbox" name="answers"') == 3


def test_a_grade_with_every_wording_unticked_is_refused_with_a_message(client, ta, answers):
    response = client.post(reverse("ta_answer_groups", args=[answers["question"].pk]),
                           {"criterion": answers["criterion"].pk, "points": "2"}, follow=True)
    assert "No answers were chosen: tick at least one wording." in response.content.decode()
    assert not AnswerGrade.objects.exists()


@pytest.mark.parametrize("junk", ["9" * 25, "\u00b2", "1" * 5000, "-3", " ", "1e3"])
def test_ids_no_answer_could_have_grade_nothing_and_say_so(client, ta, answers, junk):
    response = client.post(reverse("ta_answer_groups", args=[answers["question"].pk]),
                           {"criterion": answers["criterion"].pk, "points": "2", "answers": junk}, follow=True)
    assert response.status_code == 200
    assert "No answers were chosen" in response.content.decode()
    assert not AnswerGrade.objects.exists()


def test_a_response_is_reviewed_and_its_student_told_once_every_question_is_graded(client, ta, answers):
    response = answers["responses"][0]
    for criterion in rubrics.criteria_for(response):
        question = Question.objects.get(question_set=response.question_set, order=int(criterion.name.split()[-1]))
        answer = Answer.objects.get(response=response, question=question)
        grouping.grade(ta, question, [answer.pk], criterion, 1 if criterion.bonus else 2)
    response.refresh_from_db()
    assert response.status == "reviewed" and response.reviewer == ta
    assert response.score == rubrics.maximum(rubrics.criteria_for(response)) + 1  # the bonus question's point
    assert Notification.objects.filter(recipient=response.student, kind=Notification.REVIEWED).count() == 1
    assert AuditEvent.objects.filter(action="review", target_id=response.pk).exists()


def test_members_already_graded_keep_their_points_unless_the_ta_replaces_them(answers):
    ta = make_ta()
    question, criterion, members = answers["question"], answers["criterion"], answers["answers"][:3]
    grouping.grade(ta, question, [members[0].pk], criterion, 1)
    outcome = grouping.grade(ta, question, [a.pk for a in members], criterion, 2)
    assert (outcome.graded, outcome.kept) == (2, 1)
    assert AnswerGrade.objects.get(answer=members[0]).points == 1
    outcome = grouping.grade(ta, question, [a.pk for a in members], criterion, 2, replace=True)
    assert (outcome.graded, outcome.kept) == (3, 0)
    assert AnswerGrade.objects.get(answer=members[0]).points == 2


def test_a_reviewed_member_is_not_overwritten_without_asking(answers):
    ta = make_ta()
    response, criterion = answers["responses"][0], answers["criterion"]
    criteria = rubrics.criteria_for(response)
    from coursework.services import reviews
    reviews.review(response, ta, {c.pk: rubrics.Mark(0) for c in criteria}, "")
    outcome = grouping.grade(ta, answers["question"], [answers["answers"][0].pk], criterion, 2)
    assert outcome.kept == 1
    response.refresh_from_db()
    assert response.score == 0
    grouping.grade(ta, answers["question"], [answers["answers"][0].pk], criterion, 2, replace=True)
    response.refresh_from_db()
    assert response.score == 2 and response.review_version == 2


def test_members_another_ta_holds_are_left_alone(answers):
    ta, other = make_ta("ta1"), make_ta("ta2")
    make_profile(other)
    claims.claim(answers["responses"][1], other)
    outcome = grouping.grade(ta, answers["question"], [a.pk for a in answers["answers"][:3]], answers["criterion"], 2)
    assert (outcome.graded, outcome.held) == (2, 1)
    assert not AnswerGrade.objects.filter(answer=answers["answers"][1]).exists()


def test_adjusting_one_member_changes_it_alone(client, ta, answers):
    members = answers["answers"][:3]
    url = reverse("ta_answer_groups", args=[answers["question"].pk])
    client.post(url, {"criterion": answers["criterion"].pk, "points": "2",
                      "answers": ",".join(str(a.pk) for a in members)})
    client.post(url, {"criterion": answers["criterion"].pk, "points": "1", "answers": str(members[2].pk), "replace": "1"})
    assert [AnswerGrade.objects.get(answer=a).points for a in members] == [2, 2, 1]


def test_points_above_the_criterion_maximum_are_refused(client, ta, answers):
    url = reverse("ta_answer_groups", args=[answers["question"].pk])
    response = client.post(url, {"criterion": answers["criterion"].pk, "points": "9",
                                 "answers": str(answers["answers"][0].pk)}, follow=True)
    assert "more than its maximum" in response.content.decode()
    assert not AnswerGrade.objects.exists()


def test_a_student_cannot_open_the_grouping_pages(client, answers):
    client.force_login(answers["responses"][0].student)
    assert client.get(reverse("ta_answer_groups", args=[answers["question"].pk])).status_code == 404
    assert client.get(reverse("ta_answer_questions")).status_code == 404


def test_a_post_naming_more_answers_than_a_class_has_is_refused(client, ta, answers):
    url = reverse("ta_answer_groups", args=[answers["question"].pk])
    ids = ",".join(str(n) for n in range(1, grouping.MAX_GRADED_AT_ONCE + 2))
    response = client.post(url, {"criterion": answers["criterion"].pk, "points": "2", "answers": ids}, follow=True)
    assert "At most 10,000 answers" in response.content.decode()
    assert not AnswerGrade.objects.exists()


def test_script_in_an_answer_is_shown_as_text(client, ta, answers):
    Answer.objects.filter(pk=answers["answers"][3].pk).update(text="<script>alert(1)</script>")
    body = page_groups(client, answers["question"]).content.decode()
    assert "<script>alert(1)" not in body and "&lt;script&gt;alert(1)" in body


def test_a_feedback_only_review_is_not_turned_into_a_score_without_asking(answers):
    from coursework.services import reviews

    ta = make_ta()
    response = answers["responses"][0]
    reviews.review(response, ta, {}, "Read it, see me.", feedback_only=True)
    outcome = grouping.grade(ta, answers["question"], [answers["answers"][0].pk], answers["criterion"], 2)
    assert outcome.kept == 1 and not AnswerGrade.objects.exists()
    response.refresh_from_db()
    assert response.feedback_only and response.score is None


def grade_every_question(ta, response):
    for criterion in rubrics.criteria_for(response):
        if criterion.deduction:
            continue  # no answer of its own: an empty deduction takes nothing off
        question = Question.objects.get(question_set=response.question_set, order=int(criterion.name.split()[-1]))
        answer = Answer.objects.get(response=response, question=question)
        grouping.grade(ta, question, [answer.pk], criterion, 1 if criterion.bonus else 2)


def test_a_deducting_criterion_left_empty_does_not_stop_the_review_from_completing(ta, answers):
    from coursework.models import RubricCriterion

    response = answers["responses"][0]
    RubricCriterion.objects.create(assignment=rubrics.criteria_for(response)[0].assignment,
                                   question_set=response.question_set, order=99, name="Penalty", max_points=2,
                                   deduction=True)
    grade_every_question(ta, response)
    response.refresh_from_db()
    assert response.status == "reviewed"


def test_a_grade_on_another_criterion_is_kept_unless_the_ta_replaces_it(ta, answers):
    question, own, answer = answers["question"], answers["criterion"], answers["answers"][0]
    grouping.grade(ta, question, [answer.pk], own, 2)
    other = next(c for c in rubrics.criteria_for(answers["responses"][0]) if c.pk != own.pk and not c.bonus)
    outcome = grouping.grade(ta, question, [answer.pk], other, 1)
    assert (outcome.graded, outcome.kept) == (0, 1)
    assert AnswerGrade.objects.get(answer=answer).criterion == own  # not lost unseen
    outcome = grouping.grade(ta, question, [answer.pk], other, 1, replace=True)
    assert outcome.graded == 1 and AnswerGrade.objects.get(answer=answer).criterion == other


def test_an_answer_rewritten_after_its_group_grade_is_graded_again(ta, answers):
    from coursework.services import synthesis

    answer, response = answers["answers"][3], answers["responses"][3]
    grouping.grade(ta, answers["question"], [answer.pk], answers["criterion"], 0)
    synthesis.save_answers(response.student, response.question_set, {answer.question_id: "10 neurons, one per digit"})
    assert not AnswerGrade.objects.filter(answer=answer).exists()  # the 0 was for words no longer there


def test_a_review_saved_after_a_group_grade_keeps_the_tas_points_when_another_question_is_regraded(ta, answers):
    from coursework.services import reviews

    response, criterion = answers["responses"][0], answers["criterion"]
    grade_every_question(ta, response)  # the review is completed with 2 on this question
    response.refresh_from_db()
    marks = rubrics.marks_of(response)
    marks[criterion.pk] = rubrics.Mark(1, "Only half of it.")  # the TA adjusts it on the review page
    reviews.review(response, ta, marks, "", seen_version=response.review_version)
    # A group grade on another question, replacing: the TA's 1 is not undone by the older group grade.
    other = next(c for c in rubrics.criteria_for(response) if c.pk != criterion.pk and not c.bonus and not c.deduction)
    other_question = Question.objects.get(question_set=response.question_set, order=int(other.name.split()[-1]))
    answer = Answer.objects.get(response=response, question=other_question)
    grouping.grade(ta, other_question, [answer.pk], other, 0, replace=True)
    response.refresh_from_db()
    marks = rubrics.marks_of(response)
    assert marks[other.pk].points == 0 and marks[criterion.pk].points == 1
