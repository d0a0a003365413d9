"""Deduction criteria: a criterion whose points are taken off the total ("late citation":
up to 2 off), outside the maximum, the total never below 0; shown to the student as a
deduction, kept through a rubric's export and import, counted right in the statistics."""
import pytest

from coursework.models import Assignment, RubricCriterion
from coursework.services import credit, review_stats, reviews, rubrics
from coursework.services.rubrics import Scope
from tests.factories import make_student, make_ta, submitted_essays

pytestmark = pytest.mark.django_db


@pytest.fixture
def late_citation(course):
    return rubrics.add_criterion(make_ta("rubric-maker"), Scope(course[Assignment.ESSAYS]), name="Late citation",
                                 max_points=2, deduction=True)


def marks_for(essays, points, deducted):
    return {c.pk: rubrics.Mark(deducted if c.deduction else points(c)) for c in rubrics.criteria_for(essays)}


def test_a_deduction_takes_its_points_off_the_total_and_not_off_the_maximum(late_citation):
    essays = submitted_essays(make_student())
    criteria = rubrics.criteria_for(essays)
    assert rubrics.maximum(criteria) == 10  # the essay rubric's own four criteria
    item = reviews.review(essays, make_ta(), marks_for(essays, lambda c: c.max_points, 2), "Cite on time.")
    assert (item.score, item.max_score) == (8.0, 10.0)
    assert credit.for_item(item, item.student).counts == 8.0


def test_the_total_never_goes_below_zero(late_citation):
    essays = submitted_essays(make_student())
    item = reviews.review(essays, make_ta(), marks_for(essays, lambda c: 0, 2), "")
    assert item.score == 0.0


def test_a_deduction_left_empty_takes_nothing_off_and_more_than_its_points_is_refused(late_citation):
    essays = submitted_essays(make_student())
    marks = {c.pk: rubrics.Mark(c.max_points) for c in rubrics.criteria_for(essays) if not c.deduction}
    ta = make_ta()
    assert reviews.review(essays, ta, marks, "").score == 10.0
    with pytest.raises(reviews.ReviewRefused, match="more than the 2 points it may take off"):
        reviews.review(essays, ta, {**marks, late_citation.pk: rubrics.Mark(3)}, "")


def test_the_student_sees_it_as_a_deduction(late_citation, client):
    essays = submitted_essays(make_student())
    reviews.review(essays, make_ta(), marks_for(essays, lambda c: c.max_points, 2), "")
    client.force_login(essays.student)
    page = client.get("/essays/").content.decode()
    assert '<span class="tag">deduction</span>' in page and "−2" in page


def test_a_deduction_survives_export_and_import(late_citation, course):
    text = rubrics.as_text(Scope(course[Assignment.ESSAYS]))
    synthesis = Scope(course[Assignment.SYNTHESIS], rubrics.scopes()[1][0].question_set)
    rubrics.import_text(make_ta("importer"), synthesis, text)
    copied = RubricCriterion.objects.get(assignment=course[Assignment.SYNTHESIS], name="Late citation")
    assert copied.deduction and not copied.bonus and copied.max_points == 2
    with pytest.raises(rubrics.RubricRefused, match="not both"):
        rubrics.parse_text(text.replace('"deduction": true', '"deduction": true, "bonus": true'))


def test_rubrics_from_before_deductions_keep_their_fingerprint(course):
    criteria = rubrics.criteria_for(submitted_essays(make_student()))
    key = [[c.pk, c.name, c.max_points, c.bonus] for c in criteria]
    import hashlib
    import json

    assert rubrics.fingerprint(criteria) == hashlib.sha1(json.dumps(key).encode()).hexdigest()[:16]


def test_the_statistics_count_a_deduction_as_points_taken_off(late_citation):
    for n, deducted in enumerate((2, 0)):
        essays = submitted_essays(make_student(f"s{n}"))
        reviews.review(essays, make_ta(f"t{n}"), marks_for(essays, lambda c: c.max_points, deducted), "")
    criteria, graders = review_stats.summary()
    stat = next(c for c in criteria if c.title == "Late citation")
    assert stat.deduction and stat.mean == 1.0 and stat.max_points == 2
    assert sorted(g.mean for g in graders) == [0.8, 1.0]
