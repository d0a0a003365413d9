"""Publishing reviews: on a task that holds its reviews, a saved review reaches its student
only when a TA publishes the task's reviews; until then the student sees the work as being
reviewed, with no score, no comments, no notification and no appeal. Staff see it all."""
from datetime import timedelta

import pytest
from django.utils import timezone

from coursework.models import Assignment, AuditEvent, Notification, StudyGroup
from coursework.services import appeals, credit, gradebook, progress, publishing, reviews, rubrics
from tests.factories import make_profile, make_student, make_ta, submitted_essays

pytestmark = pytest.mark.django_db


@pytest.fixture
def held(course):
    task = course[Assignment.ESSAYS]
    task.publish_reviews = Assignment.WHEN_PUBLISHED
    task.save()
    return task


@pytest.fixture
def people():
    group = StudyGroup.objects.create(name="G1")
    ana = make_student("ana")
    make_profile(ana, group=group, email="ana@example.org")
    return {"ana": ana, "ta": make_ta()}


def review(student, ta, comment="Cite the second study properly."):
    essays = submitted_essays(student)
    marks = {c.pk: rubrics.Mark(c.max_points - 1) for c in rubrics.criteria_for(essays)}
    return reviews.review(essays, ta, marks, comment)


def test_a_held_review_shows_the_student_nothing_but_that_it_is_being_reviewed(held, people, client):
    essays = review(people["ana"], people["ta"])
    assert essays.held and essays.score is not None
    assert Notification.objects.count() == 0
    client.force_login(people["ana"])
    page = client.get("/essays/").content.decode()
    assert "being reviewed" in page
    assert "Cite the second study" not in page and "Your TA's review" not in page and "Total:" not in page
    mine = progress.for_student(people["ana"])
    row = next(r for r in mine.rows if r.kind == Assignment.ESSAYS)
    assert row.credit is None and "being reviewed" in row.status_label and not row.finished
    assert "Cite the second study" not in client.get("/progress/").content.decode()
    assert credit.for_item(essays, people["ana"]) is None
    assert not appeals.can_appeal(essays)
    with pytest.raises(appeals.AppealRefused):
        appeals.file(people["ana"], essays, "Please look again", appeals.state_of(essays)["token"])


def test_staff_see_a_held_review_and_the_gradebook_counts_it(held, people, client):
    essays = review(people["ana"], people["ta"])
    assert credit.for_item(essays, people["ta"]).counts == essays.score
    header, rows = gradebook.rows()
    row = dict(zip(header, next(r for r in rows if r[0] == "ana")))
    assert row["essays_score"] == round(essays.score, 2)


def test_publishing_releases_every_held_review_once_tells_each_student_and_is_audited(held, people, client):
    essays = review(people["ana"], people["ta"])
    other = make_student("ben")
    make_profile(other)
    review(other, people["ta"])
    client.force_login(people["ta"])
    page = client.get(f"/ta/assignments/{held.slug}/publish/").content.decode()
    assert "Publish 2 reviews" in page
    client.post(f"/ta/assignments/{held.slug}/publish/", {"publish": "1"})
    assert Notification.objects.filter(kind=Notification.REVIEWED).count() == 2
    assert AuditEvent.objects.filter(action="reviews_published").get().changes["count"] == 2
    assert publishing.publish(people["ta"], held) == 0  # twice: nothing more
    assert Notification.objects.count() == 2
    assert "No reviews are waiting" in client.get(f"/ta/assignments/{held.slug}/publish/").content.decode()
    client.force_login(people["ana"])
    page = client.get("/essays/").content.decode()
    assert "Cite the second study" in page and "Total:" in page
    essays.refresh_from_db()
    assert appeals.can_appeal(essays)


def test_the_appeal_window_counts_from_publishing(held, people, settings):
    settings.APPEAL_WINDOW_DAYS = 14
    essays = review(people["ana"], people["ta"])
    type(essays).objects.filter(pk=essays.pk).update(reviewed_at=timezone.now() - timedelta(days=20))
    publishing.publish(people["ta"], held)
    essays.refresh_from_db()
    assert appeals.closes_at(essays) > timezone.now() + timedelta(days=13)


def test_on_a_task_that_publishes_at_once_a_review_reaches_the_student_as_it_is_saved(course, people):
    essays = review(people["ana"], people["ta"])
    assert not essays.held
    assert Notification.objects.filter(recipient=people["ana"], kind=Notification.REVIEWED).exists()


def test_a_ta_switches_the_setting_on_the_tasks_page_and_it_is_audited(course, people, client):
    task = course[Assignment.ESSAYS]
    client.force_login(people["ta"])
    client.post(f"/ta/assignments/{task.slug}/publish/", {"publish_reviews": Assignment.WHEN_PUBLISHED})
    task.refresh_from_db()
    assert task.publish_reviews == Assignment.WHEN_PUBLISHED
    assert AuditEvent.objects.filter(action="publish_setting_changed").exists()
    assert review(people["ana"], people["ta"]).held


def test_a_held_request_to_resubmit_is_not_shown_until_published(held, people, client):
    essays = submitted_essays(people["ana"])
    reviews.review(essays, people["ta"], {}, "Please redo essay 2.", feedback_only=True, request_resubmission=True)
    client.force_login(people["ana"])
    page = client.get("/essays/").content.decode()
    assert "Please redo essay 2" not in page and "being reviewed" in page
    publishing.publish(people["ta"], held)
    assert "Please redo essay 2" in client.get("/essays/").content.decode()


def test_a_held_request_to_resubmit_synthesis_answers_does_not_open_them_for_editing(course, people):
    from coursework.models import QuestionSet
    from coursework.services import synthesis
    from tests.factories import submitted_synthesis

    task = course[Assignment.SYNTHESIS]
    task.publish_reviews = Assignment.WHEN_PUBLISHED
    task.save()
    response = submitted_synthesis(people["ana"])
    reviews.review(response, people["ta"], {}, "Say why.", feedback_only=True, request_resubmission=True)
    qs = QuestionSet.objects.get(pk=response.question_set_id)
    with pytest.raises(synthesis.NotEditable):
        synthesis.save_answers(people["ana"], qs, {q.pk: "New answer." for q in qs.questions.all()})
    publishing.publish(people["ta"], task)
    synthesis.save_answers(people["ana"], qs, {q.pk: "New answer." for q in qs.questions.all()})


def test_the_overview_lists_held_synthesis_answers_as_submitted(course, people, client):
    from tests.factories import submitted_synthesis

    task = course[Assignment.SYNTHESIS]
    task.publish_reviews = Assignment.WHEN_PUBLISHED
    task.save()
    response = submitted_synthesis(people["ana"])
    reviews.review(response, people["ta"], {}, "Noted.", feedback_only=True)
    client.force_login(people["ana"])
    page = client.get("/").content.decode()
    assert "status-reviewed" not in page and "status-submitted" in page
    publishing.publish(people["ta"], task)
    assert "status-reviewed" in client.get("/").content.decode()


def test_the_appeal_page_of_a_held_review_shows_nothing_of_it(held, people, client):
    essays = review(people["ana"], people["ta"], comment="HELD-COMMENT not yet published")
    client.force_login(people["ana"])
    response = client.get(f"/appeals/essays/{essays.pk}/", follow=True)
    page = response.content.decode()
    assert "HELD-COMMENT" not in page and "being reviewed" in page


def test_a_held_request_to_resubmit_essays_does_not_reopen_them_after_the_lock(held, people):
    from coursework.services import essays as essay_service

    essays = submitted_essays(people["ana"])
    reviews.review(essays, people["ta"], {}, "Please redo essay 2.", feedback_only=True, request_resubmission=True)
    held.late_policy, held.due_at, held.lock_at = Assignment.CLOSE, timezone.now() - timedelta(days=2), timezone.now() - timedelta(days=1)
    held.save()
    assert essay_service.closed_to(people["ana"]) != ""  # still locked: the request is not one until published
    publishing.publish(people["ta"], held)
    assert essay_service.closed_to(people["ana"]) == ""


def test_an_appeal_is_not_answered_while_a_second_review_of_the_work_is_held(held, people):
    essays = review(people["ana"], people["ta"])
    publishing.publish(people["ta"], held)
    essays.refresh_from_db()
    appeal = appeals.file(people["ana"], essays, "Essay 2 cites two studies.", appeals.state_of(essays)["token"])
    # The TA looks again and raises the score; the task holds it until a TA publishes.
    criteria = rubrics.criteria_for(essays)
    essays = reviews.review(essays, people["ta"], {c.pk: rubrics.Mark(c.max_points) for c in criteria}, "Fair point.")
    assert essays.held
    # Told "changed" now, Ana would find her work "being reviewed": the answer waits for the publish.
    for outcome in (appeal.CHANGED, appeal.UNCHANGED):
        with pytest.raises(appeals.AppealRefused, match="not published"):
            appeals.answer(people["ta"], appeal, "I raised it.", outcome)
    appeal.refresh_from_db()
    assert appeal.status == "open" and not appeal.outcome
    assert not Notification.objects.filter(recipient=people["ana"], kind=Notification.APPEAL).exists()
    publishing.publish(people["ta"], held)
    assert appeals.answer(people["ta"], appeal, "I raised it.", appeal.CHANGED).outcome == appeal.CHANGED


def test_the_tas_appeal_page_says_a_held_review_waits_to_be_published(held, people, client):
    essays = review(people["ana"], people["ta"])
    publishing.publish(people["ta"], held)
    essays.refresh_from_db()
    appeal = appeals.file(people["ana"], essays, "Look again.", appeals.state_of(essays)["token"])
    ben = make_student("ben")
    review(ben, people["ta"])  # another student's essays, held: not the appealed work
    client.force_login(people["ta"])
    assert "appeal-held" not in client.get(f"/ta/appeals/{appeal.pk}/").content.decode()
    reviews.review(essays, people["ta"], {c.pk: rubrics.Mark(0) for c in rubrics.criteria_for(essays)}, "Again.")
    page = client.get(f"/ta/appeals/{appeal.pk}/").content.decode()
    assert "appeal-held" in page and f"/ta/assignments/{held.slug}/publish/" in page
