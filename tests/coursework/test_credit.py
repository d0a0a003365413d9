"""One figure for credit everywhere: the submission page, the review on the essays page, My
progress, a TA's student timeline and the gradebook all show the credit that counts (after
any late penalty) as the headline, with what it is made of beside it, and a bonus as a bonus."""
import csv
import io

import pytest

from coursework.models import Assignment, RubricCriterion
from coursework.services import credit, gradebook, reviews, rubrics
from tests.factories import make_course, make_profile, make_student, make_submission, make_ta, submitted_essays

pytestmark = pytest.mark.django_db


@pytest.fixture
def course(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    tasks = make_course()
    for task in tasks.values():
        task.late_policy, task.late_penalty_per_day = Assignment.PENALTY, 0.1
        task.save()
    return tasks


@pytest.fixture
def ana(db):
    student = make_student("ana")
    make_profile(student)
    return student


def late_essays_with_a_bonus(student, course, days_late=1):
    """Essays a day late, given every point of the rubric (10) and a bonus point on top."""
    RubricCriterion.objects.create(assignment=course[Assignment.ESSAYS], name="Goes further", max_points=1,
                                   bonus=True, order=99)
    item = submitted_essays(student)
    type(item).objects.filter(pk=item.pk).update(late=True, days_late=days_late)
    item.refresh_from_db()
    marks = {c.pk: rubrics.Mark(c.max_points) for c in rubrics.criteria_for(item)}
    return reviews.review(item, make_ta(), marks, "Excellent, and more.")


def late_notebook(student, course):
    """A notebook two days late at full credit: 20% off."""
    return make_submission(student, status="graded", accuracy=0.95, public_accuracy=0.95, score=1.0, late=True,
                           days_late=2)


def test_the_credit_that_counts_is_after_the_penalty_and_keeps_its_parts(course, ana):
    essays = late_essays_with_a_bonus(ana, course)
    figure = credit.for_item(essays)
    assert figure.counts == pytest.approx(9.9) and figure.before_penalty == 11 and figure.max_score == 10
    assert figure.bonus == 1 and figure.base == 10 and figure.penalty == pytest.approx(0.1)
    notebook = credit.for_item(late_notebook(ana, course), viewer=make_ta("sam"))
    assert notebook.counts == pytest.approx(0.8) and notebook.before_penalty == 1 and notebook.fraction


def test_a_review_without_a_score_has_no_credit(course, ana):
    item = submitted_essays(ana)
    assert credit.for_item(item) is None
    reviewed = reviews.review(item, make_ta(), {}, "Comments only.", feedback_only=True)
    assert credit.for_item(reviewed) is None


def test_the_submission_page_leads_with_the_credit_after_the_late_penalty(client, course, ana):
    submission = late_notebook(ana, course)
    client.force_login(ana)
    page = client.get(f"/submissions/{submission.pk}/").content.decode()
    assert '<strong class="credit-counts">80%</strong> of the credit (provisional)' in page
    assert "100% before the late penalty of 20% (2 days late)" in page
    assert "<strong>100%</strong>" not in page and "credit-counts\">100%" not in page


def test_the_essays_page_shows_a_bonus_as_a_bonus_and_the_penalty_beside_the_figure(client, course, ana):
    late_essays_with_a_bonus(ana, course)
    client.force_login(ana)
    review = client.get("/essays/").content.decode()
    assert '<strong class="credit-counts">9</strong> of 10 points + <strong class="credit-bonus">0.9</strong> bonus' in review
    assert "10 of 10 + 1 bonus before the late penalty of 10% (1 day late)" in review
    assert "11 of 10" not in review and "of 11" not in review


def test_an_on_time_bonus_reads_ten_of_ten_points_plus_one_bonus(client, course, ana):
    late_essays_with_a_bonus(ana, course, days_late=0)
    client.force_login(ana)
    page = client.get("/essays/").content.decode()
    assert '<strong class="credit-counts">10</strong> of 10 points + <strong class="credit-bonus">1</strong> bonus' in page
    assert "before the late penalty" not in page


def test_my_progress_shows_the_same_figures(client, course, ana):
    late_essays_with_a_bonus(ana, course)
    late_notebook(ana, course)
    client.force_login(ana)
    page = client.get("/progress/").content.decode()
    assert '<strong class="credit-counts">9</strong> of 10 points + <strong class="credit-bonus">0.9</strong> bonus' in page
    assert '<strong class="credit-counts">80%</strong> of the credit (provisional)' in page


def test_the_student_timeline_shows_the_credit_that_counts_not_the_score_before_the_penalty(client, course, ana):
    essays = late_essays_with_a_bonus(ana, course)
    late_notebook(ana, course)
    client.force_login(make_ta("sam"))
    page = client.get(f"/ta/students/{ana.pk}/").content.decode()
    assert '<strong class="credit-counts">9</strong> of 10 points + <strong class="credit-bonus">0.9</strong> bonus' in page
    assert ">11<" not in page and "11.0" not in page
    assert "95.00% test accuracy" in page and '<strong class="credit-counts">80%</strong> of the credit' in page
    assert essays.score == 11  # stored at full precision, before the penalty; only pages apply it


def test_the_gradebook_sums_the_same_figure(course, ana):
    late_essays_with_a_bonus(ana, course)
    late_notebook(ana, course)
    header, rows = gradebook.rows()
    text = io.StringIO()
    csv.writer(text).writerows([header, *rows])
    row = dict(zip(header, list(csv.reader(io.StringIO(text.getvalue())))[1]))
    assert float(row["essays_score"]) == pytest.approx(credit.for_item(ana.essay_submissions.get()).counts)
    assert float(row["essays_score"]) == pytest.approx(9.9) and float(row["notebook_score"]) == pytest.approx(0.8)


def test_the_inbox_is_told_the_same_figure(client, course, ana):
    late_essays_with_a_bonus(ana, course)
    client.force_login(ana)
    inbox = client.get("/inbox/").content.decode()
    assert ("Your TA reviewed your essays (version 1): 9 of 10 points + 0.9 bonus "
            "(10 of 10 + 1 bonus before the late penalty of 10%)") in inbox


def test_the_tas_notebook_page_shows_the_same_credit(client, course, ana):
    submission = late_notebook(ana, course)
    client.force_login(make_ta("sam"))
    page = client.get(f"/ta/notebooks/{submission.pk}/").content.decode()
    assert '<strong class="credit-counts">80%</strong> of the credit' in page
    assert "100% before the late penalty of 20% (2 days late)" in page
