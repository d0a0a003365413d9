"""Rubrics built in the TA pages: the suggested criteria, levels, comment banks, order, and
reviews that keep the rubric they were scored with."""
import pytest

from coursework.models import Assignment, AuditEvent, QuestionSet, RubricComment, RubricCriterion, RubricLevel
from coursework.services import rubrics
from tests.factories import full_marks, make_profile, make_student, submitted_essays, submitted_synthesis

pytestmark = pytest.mark.django_db


def test_the_suggested_rubrics_follow_the_units_own_rules(course):
    essays = rubrics.Scope(course[Assignment.ESSAYS])
    assert [c.name for c in essays.criteria()] == ["Addresses the chosen prompts", "At least 200 meaningful words each",
                                                   "Reasoning and examples", "Clarity"]
    assert all(c.comments.exists() for c in essays.criteria())
    for question_set in QuestionSet.objects.all():
        scope = rubrics.Scope(course[Assignment.SYNTHESIS], question_set)
        questions = list(question_set.questions.all())
        assert [c.description for c in scope.criteria()] == [q.text for q in questions]
        assert [c.bonus for c in scope.criteria()] == [q.bonus for q in questions]
    assert rubrics.seed_defaults() == 0  # running it again adds nothing


def test_a_ta_builds_a_criterion_with_levels_and_a_comment_bank_in_the_ta_pages(client, course, ta):
    page = client.get("/ta/rubrics/").content.decode()
    assert 'href="/ta/rubrics/essays/"' in page and 'href="/ta/rubrics/synthesis/video-what-is-a-neural-network/"' in page
    response = client.post("/ta/rubrics/essays/", {"name": "Use of sources", "max_points": "2", "description": "Cites."})
    criterion = RubricCriterion.objects.get(name="Use of sources")
    assert response.url == f"/ta/rubrics/criteria/{criterion.pk}/"
    assert criterion.order == 5  # after the four suggested ones
    data = {"name": "Use of sources", "max_points": "2", "description": "Cites what it relies on.",
            "levels-TOTAL_FORMS": "2", "levels-INITIAL_FORMS": "0",
            "levels-0-points": "2", "levels-0-title": "Sources named", "levels-1-points": "0", "levels-1-title": "None",
            "comments-TOTAL_FORMS": "2", "comments-INITIAL_FORMS": "0",
            "comments-0-text": "Name the source of this claim.", "comments-1-text": ""}
    assert client.post(f"/ta/rubrics/criteria/{criterion.pk}/", data).url == "/ta/rubrics/essays/"
    assert [(lv.points, lv.title) for lv in criterion.levels.all()] == [(2, "Sources named"), (0, "None")]
    assert [c.text for c in criterion.comments.all()] == ["Name the source of this claim."]
    assert set(AuditEvent.objects.values_list("action", flat=True)) >= {"rubric_criterion_added",
                                                                         "rubric_criterion_changed"}


def test_a_level_above_its_criterion_or_a_blank_title_is_refused_and_nothing_typed_is_lost(client, course, ta):
    criterion = rubrics.Scope(course[Assignment.ESSAYS]).criteria()[3]  # Clarity, 2 points
    data = {"name": "", "max_points": "2", "description": "",
            "levels-TOTAL_FORMS": "1", "levels-INITIAL_FORMS": "0", "levels-0-points": "5", "levels-0-title": "Superb",
            "comments-TOTAL_FORMS": "1", "comments-INITIAL_FORMS": "0", "comments-0-text": "A comment worth keeping"}
    page = client.post(f"/ta/rubrics/criteria/{criterion.pk}/", data).content.decode()
    assert "Give the criterion a title." in page
    assert "A level cannot be worth more than the criterion&#x27;s 2 points." in page
    assert "A comment worth keeping" in page and "Superb" in page
    criterion.refresh_from_db()
    assert criterion.name == "Clarity" and not criterion.levels.filter(title="Superb").exists()


def test_criteria_move_up_and_down_within_their_own_rubric(client, course, ta):
    scope = rubrics.Scope(course[Assignment.ESSAYS])
    clarity = scope.criteria()[3]
    client.post(f"/ta/rubrics/criteria/{clarity.pk}/move/", {"direction": "up"})
    assert [c.name for c in scope.criteria()][2:] == ["Clarity", "Reasoning and examples"]
    first = scope.criteria()[0]
    client.post(f"/ta/rubrics/criteria/{first.pk}/move/", {"direction": "up"})  # already first: nothing moves
    assert scope.criteria()[0] == first
    # Another rubric's order is untouched.
    synthesis = RubricCriterion.objects.filter(assignment=course[Assignment.SYNTHESIS]).order_by("question_set", "order")
    assert [c.order for c in synthesis[:2]] == [1, 2]


def test_a_rubric_edited_after_a_review_leaves_that_review_as_given_and_says_so(client, course, ta):
    student = make_student("ana")
    make_profile(student)
    essays = submitted_essays(student)
    criteria = rubrics.criteria_for(essays)
    client.post(f"/ta/essays/{essays.pk}/", full_marks(essays, **{f"criterion-{criteria[3].pk}": "1"}))
    essays.refresh_from_db()
    assert essays.score == 9 and essays.max_score == 10
    # A TA renames one criterion and raises another's points, and removes a third.
    RubricCriterion.objects.filter(pk=criteria[3].pk).update(name="Clear writing", max_points=4)
    criteria[0].delete()
    client.force_login(student)
    page = client.get("/essays/").content.decode()
    assert "Clarity" in page and "1 / 2" in page and "Addresses the chosen prompts" in page
    assert "earlier version of the rubric" in page
    essays.refresh_from_db()
    assert essays.score == 9  # as given
    client.force_login(ta)
    assert "earlier version of the rubric" in client.get(f"/ta/essays/{essays.pk}/").content.decode()


def test_a_comment_kept_in_the_bank_during_a_review_is_offered_next_time(client, course, ta):
    first, second = make_student("ana"), make_student("ben")
    for s in (first, second):
        make_profile(s)
    a, b = submitted_synthesis(first), submitted_synthesis(second)
    criterion = rubrics.criteria_for(a)[0]
    client.post(f"/ta/synthesis/{a.pk}/", full_marks(a, **{f"criterion-{criterion.pk}-comment": "Mention the bias too.",
                                                           f"criterion-{criterion.pk}-save-comment": "on"}))
    assert RubricComment.objects.filter(criterion=criterion, text="Mention the bias too.").count() == 1
    page = client.get(f"/ta/synthesis/{b.pk}/").content.decode()
    assert 'data-text="Mention the bias too."' in page
    # Kept twice, stored once.
    b.refresh_from_db()
    client.post(f"/ta/synthesis/{b.pk}/", full_marks(b, **{f"criterion-{criterion.pk}-comment": "Mention the bias too.",
                                                           f"criterion-{criterion.pk}-save-comment": "on"}))
    assert RubricComment.objects.filter(criterion=criterion, text="Mention the bias too.").count() == 1


def test_an_empty_rubric_starts_from_the_suggested_criteria_on_request(client, course, ta):
    RubricCriterion.objects.filter(assignment=course[Assignment.ESSAYS]).delete()
    assert "Start from the suggested criteria" in client.get("/ta/rubrics/essays/").content.decode()
    client.post("/ta/rubrics/essays/", {"suggested": "1"})
    assert RubricCriterion.objects.filter(assignment=course[Assignment.ESSAYS]).count() == 4
    assert RubricLevel.objects.filter(criterion__assignment=course[Assignment.ESSAYS]).exists()


def test_a_rubric_downloaded_as_text_comes_back_whole_in_another_set(client, course, ta):
    from django.core.files.uploadedfile import SimpleUploadedFile

    sets = list(QuestionSet.objects.filter(optional=False).select_related("page").order_by("pk"))
    source, target = sets[0], sets[1]
    download = client.get(f"/ta/rubrics/synthesis/{source.page.slug}/?download=json")
    assert download["Content-Disposition"] == f'attachment; filename="rubric-synthesis-{source.page.slug}.json"'
    before = RubricCriterion.objects.filter(question_set=target).count()

    response = client.post(f"/ta/rubrics/synthesis/{target.page.slug}/",
                           {"import": "1", "rubric_file": SimpleUploadedFile("r.json", download.content)})

    assert response.status_code == 302

    def shape(qs):
        return [(c.name, c.description, c.max_points, c.bonus, [(lv.points, lv.title) for lv in c.levels.all()],
                 [m.text for m in c.comments.all()]) for c in qs.order_by("order", "pk")]
    added = RubricCriterion.objects.filter(question_set=target).order_by("order", "pk")[before:]
    assert shape(RubricCriterion.objects.filter(question_set=source)) == shape(
        RubricCriterion.objects.filter(pk__in=[c.pk for c in added]))
    assert AuditEvent.objects.filter(action="rubric_imported").count() == 1


@pytest.mark.parametrize("text, says", [
    ("not json at all", "it is not JSON"),
    ('{"criteria": []}', '"format": 1'),
    ('{"format": 1, "criteria": [{"name": "Depth", "max_points": 0}]}', "Criterion 1: max_points must be a whole number"),
    ('{"format": 1, "criteria": [{"name": "", "max_points": 2}]}', "Criterion 1's name must be a non-empty text"),
    ('{"format": 1, "criteria": [{"name": "Depth", "max_points": 2, "levels": [{"points": 5, "title": "Top"}]}]}',
     "Criterion 1, level 1: points must be a number from 0 to 2"),
    ('{"format": 1, "criteria": [{"name": "Depth", "max_points": 2, "comments": [3]}]}',
     "Criterion 1, comment 1 must be a non-empty text"),
])
def test_a_rubric_text_that_cannot_be_imported_adds_nothing_says_why_and_keeps_the_text(client, course, ta, text, says):
    from html import escape

    before = RubricCriterion.objects.count()
    page = client.post("/ta/rubrics/essays/", {"import": "1", "rubric_text": text}).content.decode()
    assert escape(says) in page and "Nothing was added" in page
    assert RubricCriterion.objects.count() == before
    assert escape(text) in page  # the pasted text is still in the box
