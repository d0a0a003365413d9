"""My progress: every task with its status, score, review, due date and what is left, in a
fixed number of queries."""
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from coursework.models import Assignment
from coursework.services import appeals, deadlines, reviews, rubrics
from tests.factories import (make_profile, make_student, make_submission, make_ta, submitted_essays,
                             submitted_synthesis)

pytestmark = pytest.mark.django_db


def give_work(student, ta, notebooks=1):
    response = submitted_synthesis(student)
    response = reviews.review(response, ta, {c.pk: rubrics.Mark(1, "Partly") for c in rubrics.criteria_for(response)},
                              "ok")
    essays = submitted_essays(student)
    essays = reviews.review(essays, ta, {c.pk: rubrics.Mark(c.max_points) for c in rubrics.criteria_for(essays)},
                            "Great")
    for i in range(notebooks):
        make_submission(student, status="graded", accuracy=0.8 + i / 1000, public_accuracy=0.8 + i / 1000, score=0.875)
    return response, essays


def test_my_progress_shows_every_task_its_score_review_due_date_and_what_is_left(client, course):
    ana, ta = make_student("ana"), make_ta()
    make_profile(ana)
    response, essays = give_work(ana, ta)
    appeals.file(ana, essays, "Please look at essay 3 again", appeals.state_of(essays)["token"])
    extended = timezone.now() + timedelta(days=20)
    deadlines.grant_extension(ta, course[Assignment.NOTEBOOK], extended, student=ana)
    client.force_login(ana)
    home = client.get("/").content.decode()
    assert 'href="/progress/"' in home and "My progress" in home
    page = client.get("/progress/").content.decode()
    assert "Video 2" in page and "Video 1" in page  # every required question set is listed
    # Two required sets and one project: one set and the notebook handed in, reviewed and graded.
    assert "You have handed in 2 of the 3 required pieces of work" in page and "2 are reviewed or graded" in page
    assert "Reviewed" in page and "Answer the questions and submit them" in page  # one done, one not started
    assert '<strong class="credit-counts">10</strong> of 10 points' in page
    assert "Partly" in page  # the per-criterion comments
    assert "Appeal: waiting for an answer" in page
    assert extended.strftime("%-d %b %Y %H:%M") in page and "extended" in page and "your extension" in page
    assert "88% of the credit" in page
    assert "full credit from 90% test accuracy" in page


def test_my_progress_costs_the_same_queries_whatever_the_class_size_or_the_students_own_work(client, course):
    ta = make_ta()

    def queries_for(student):
        client.force_login(student)
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/progress/").status_code == 200
        return len(captured)

    first = make_student("s0")
    make_profile(first)
    give_work(first, ta)
    queries_for(first)  # the first visit fills process-wide caches (content types)
    alone = queries_for(first)
    for i in range(1, 25):
        other = make_student(f"s{i}")
        make_profile(other)
        give_work(other, ta, notebooks=3)
    assert queries_for(first) == alone
    busy = make_student("busy")
    make_profile(busy)
    give_work(busy, ta, notebooks=30)
    assert queries_for(busy) == alone


def test_a_student_not_started_is_told_what_to_do_first(client, course):
    ana = make_student("ana")
    make_profile(ana)
    client.force_login(ana)
    page = client.get("/progress/").content.decode()
    assert "You have not started a project yet" in page
    assert "Write three essays, or do the notebook project instead" in page
    assert "Upload a notebook, or write the essays instead" in page
