"""Appeals: a student asks for a second look at reviewed or graded work, a TA answers from
the appeals queue, both audited, and the student sees the answer."""
import pytest

from coursework import states
from coursework.grading import dispatch, regrade
from coursework.models import Appeal, AuditEvent, Notification, StudyGroup
from coursework.services import appeals, reviews, rubrics
from tests.factories import (full_marks, make_course, make_profile, make_student, make_submission, make_ta,
                             submitted_essays, submitted_synthesis)

pytestmark = pytest.mark.django_db


@pytest.fixture
def course(settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = tmp_path
    monkeypatch.setattr(dispatch, "send_grading_task", lambda pk: None)
    return make_course()


@pytest.fixture
def people():
    group = StudyGroup.objects.create(name="G1")
    ana, ben = make_student("ana"), make_student("ben")
    make_profile(ana, group=group)
    make_profile(ben)
    ta = make_ta()
    group.ta = ta
    group.save()
    return {"ana": ana, "ben": ben, "ta": ta, "group": group}


def reviewed_essays(student, ta):
    essays = submitted_essays(student)
    marks = {c.pk: rubrics.Mark(c.max_points - 1) for c in rubrics.criteria_for(essays)}
    return reviews.review(essays, ta, marks, "Solid start.")


def test_a_student_appeals_a_review_and_the_ta_answers_it_from_the_appeals_queue(client, course, people):
    essays = reviewed_essays(people["ana"], people["ta"])
    client.force_login(people["ana"])
    page = client.get("/essays/").content.decode()
    assert "Ask for a second look" in page
    token = appeals.state_of(essays)["token"]
    response = client.post(f"/appeals/essays/{essays.pk}/", {"reason": "Essay 2 does cite two studies.", "seen": token})
    assert response.url == "/essays/#appeal"
    appeal = Appeal.objects.get()
    assert appeal.target == essays and appeal.filed_against["score"] == 6 and appeal.what == "Essays, version 1"
    assert "Waiting for your TA" in client.get("/essays/").content.decode()
    # The TA of Ana's group hears of it.
    told = Notification.objects.get(recipient=people["ta"])
    assert told.kind == "appealed" and told.url == f"/ta/appeals/{appeal.pk}/" and "Ana appealed" in told.title

    client.force_login(people["ta"])
    queue = client.get("/ta/?queue=appeals")
    assert list(queue.context["items"]) == [appeal] and queue.context["counts"]["appeals"] == 1
    page = client.get(f"/ta/appeals/{appeal.pk}/").content.decode()
    assert "Essay 2 does cite two studies." in page and f"/ta/essays/{essays.pk}/?appeal={appeal.pk}" in page
    # The TA re-reviews from the appeal, and comes back to it.
    response = client.post(f"/ta/essays/{essays.pk}/?appeal={appeal.pk}", full_marks(essays.__class__.objects.get(pk=essays.pk)))
    assert response.url == f"/ta/appeals/{appeal.pk}/"
    assert "it is now 10 of 10 points" in client.get(response.url).content.decode()
    response = client.post(f"/ta/appeals/{appeal.pk}/", {"outcome": "changed", "answer": "You are right: full marks."})
    assert response.url == "/ta/?queue=appeals"
    appeal.refresh_from_db()
    assert appeal.status == "answered" and appeal.answered_by == people["ta"]
    assert set(AuditEvent.objects.filter(target_id=essays.pk).values_list("action", flat=True)) == {
        "review", "appeal_filed", "appeal_answered"}
    assert Notification.objects.filter(recipient=people["ana"], kind="appeal").exists()

    client.force_login(people["ana"])
    page = client.get("/essays/").content.decode()
    assert "You are right: full marks." in page and "the result was changed" in page


def test_an_appeal_needs_a_reason_and_reviewed_work(client, course, people):
    client.force_login(people["ana"])
    pending = submitted_synthesis(people["ana"])
    token = appeals.state_of(pending)["token"]
    page = client.post(f"/appeals/synthesis/{pending.pk}/", {"reason": "Please", "seen": token}).content.decode()
    assert "Only work that has been reviewed or graded can be appealed." in page
    essays = reviewed_essays(people["ana"], people["ta"])
    page = client.post(f"/appeals/essays/{essays.pk}/", {"reason": "   ", "seen": appeals.state_of(essays)["token"]})
    assert "an appeal needs a reason" in page.content.decode()
    assert not Appeal.objects.exists()


def test_an_appeal_on_work_regraded_since_the_page_was_opened_is_held_back_with_the_new_result(client, course, people):
    submission = make_submission(people["ana"], status="graded", accuracy=0.91, public_accuracy=0.92, attempts=1)
    client.force_login(people["ana"])
    page = client.get(f"/submissions/{submission.pk}/").content.decode()
    assert "Ask for a second look" in page
    seen = appeals.state_of(submission)["token"]
    # Meanwhile a TA regrades it and the new run ends with a new result.
    regrade.regrade([submission.pk], people["ta"], via="test")
    states.claim(submission.pk)
    states.finish(submission.pk, 2, "graded", accuracy=0.93, public_accuracy=0.94)
    reason = "My network reaches 93% on my laptop."
    page = client.post(f"/appeals/notebook/{submission.pk}/", {"reason": reason, "seen": seen}).content.decode()
    assert "was regraded or reviewed again after you opened this page" in page
    # The public half only: the private half is not revealed yet.
    assert "94.00% on the public half of the test set" in page and "93.00%" not in page
    assert reason in page and not Appeal.objects.exists()
    # Sent again from this page, it goes through.
    new_seen = appeals.state_of(submission.__class__.objects.get(pk=submission.pk))["token"]
    client.post(f"/appeals/notebook/{submission.pk}/", {"reason": reason, "seen": new_seen})
    assert Appeal.objects.get().filed_against["public_accuracy"] == 0.94


def test_an_open_appeal_on_work_regraded_meanwhile_shows_the_ta_what_changed(client, course, people):
    submission = make_submission(people["ana"], status="graded", accuracy=0.91, public_accuracy=0.92, attempts=1)
    appeal = appeals.file(people["ana"], submission, "Look again", appeals.state_of(submission)["token"])
    regrade.regrade([submission.pk], people["ta"], via="test")
    client.force_login(people["ta"])
    page = client.get(f"/ta/appeals/{appeal.pk}/").content.decode()
    assert "Regraded or reviewed again since the appeal was filed: it was 92.00% on the public half of the test set" in page


def test_one_open_appeal_per_piece_of_work(course, people):
    essays = reviewed_essays(people["ana"], people["ta"])
    token = appeals.state_of(essays)["token"]
    appeals.file(people["ana"], essays, "First", token)
    with pytest.raises(appeals.AppealRefused, match="already have an open appeal"):
        appeals.file(people["ana"], essays, "Second", token)


def test_two_tas_answering_one_appeal_the_later_is_told_and_keeps_their_text(client, course, people):
    essays = reviewed_essays(people["ana"], people["ta"])
    appeal = appeals.file(people["ana"], essays, "Look again", appeals.state_of(essays)["token"])
    sam = make_ta("sam")
    make_profile(sam)
    appeals.answer(sam, appeal, "It stands.", "unchanged")
    client.force_login(people["ta"])
    page = client.post(f"/ta/appeals/{appeal.pk}/", {"outcome": "changed", "answer": "My own answer"}).content.decode()
    assert "Sam answered this appeal" in page and "My own answer" in page
    assert Appeal.objects.get().answer == "It stands."


def test_nobody_appeals_someone_elses_work(client, course, people):
    essays = reviewed_essays(people["ana"], people["ta"])
    client.force_login(people["ben"])
    response = client.post(f"/appeals/essays/{essays.pk}/", {"reason": "x", "seen": appeals.state_of(essays)["token"]})
    assert response.status_code == 404 and not Appeal.objects.exists()
    assert client.get("/appeals/bogus/1/").status_code == 404


def test_the_appeals_queue_defaults_to_the_tas_own_groups(client, course, people):
    mine = reviewed_essays(people["ana"], people["ta"])
    other = reviewed_essays(people["ben"], people["ta"])
    appeals.file(people["ana"], mine, "a", appeals.state_of(mine)["token"])
    appeals.file(people["ben"], other, "b", appeals.state_of(other)["token"])
    client.force_login(people["ta"])
    assert client.get("/ta/?queue=appeals").context["counts"]["appeals"] == 1
    assert client.get("/ta/?queue=appeals&group=all").context["counts"]["appeals"] == 2


def test_the_cached_appeals_queue_changes_as_soon_as_an_appeal_is_filed_or_answered(client, course, people):
    essays = reviewed_essays(people["ana"], people["ta"])
    client.force_login(people["ta"])
    assert 'id="count-appeals">0<' in client.get("/ta/?queue=appeals").content.decode()
    appeal = appeals.file(people["ana"], essays, "Look again", appeals.state_of(essays)["token"])
    page = client.get("/ta/?queue=appeals").content.decode()
    assert 'id="count-appeals">1<' in page and f"/ta/appeals/{appeal.pk}/" in page
    appeals.answer(people["ta"], appeal, "It stands.", "unchanged")
    assert 'id="count-appeals">0<' in client.get("/ta/?queue=appeals").content.decode()


def test_the_result_stands_is_refused_once_the_score_changed_since_the_appeal(course, people):
    essays = reviewed_essays(people["ana"], people["ta"])
    appeal = appeals.file(people["ana"], essays, "Look again", appeals.state_of(essays)["token"])
    reviews.review(essays.__class__.objects.get(pk=essays.pk), people["ta"],
                   {c.pk: rubrics.Mark(c.max_points) for c in rubrics.criteria_for(essays)}, "Full marks now.")
    with pytest.raises(appeals.AppealRefused, match="it is now 10 of 10 points.*does not stand"):
        appeals.answer(people["ta"], appeal, "Nothing changes.", Appeal.UNCHANGED)
    appeal.refresh_from_db()
    assert appeal.status == "open"
    assert appeals.answer(people["ta"], appeal, "You were right.", Appeal.CHANGED).outcome == Appeal.CHANGED


def test_i_changed_the_result_is_refused_while_the_score_is_what_the_appeal_saw(course, people):
    essays = reviewed_essays(people["ana"], people["ta"])
    appeal = appeals.file(people["ana"], essays, "Look again", appeals.state_of(essays)["token"])
    with pytest.raises(appeals.AppealRefused, match="still 6 of 10 points"):
        appeals.answer(people["ta"], appeal, "Raised.", Appeal.CHANGED)
    assert appeals.answer(people["ta"], appeal, "It stands.", Appeal.UNCHANGED).outcome == Appeal.UNCHANGED


def test_a_second_review_with_the_same_points_leaves_a_result_that_stands(course, people):
    essays = reviewed_essays(people["ana"], people["ta"])
    appeal = appeals.file(people["ana"], essays, "Look again", appeals.state_of(essays)["token"])
    same = {c.pk: rubrics.Mark(c.max_points - 1) for c in rubrics.criteria_for(essays)}
    reviews.review(essays.__class__.objects.get(pk=essays.pk), people["ta"], same, "Read again; same points.")
    assert appeals.true_outcomes(appeal) == [Appeal.UNCHANGED]


def test_the_appeal_page_offers_only_the_answer_that_agrees_with_the_score(client, course, people):
    essays = reviewed_essays(people["ana"], people["ta"])
    appeal = appeals.file(people["ana"], essays, "Look again", appeals.state_of(essays)["token"])
    client.force_login(people["ta"])
    page = client.get(f"/ta/appeals/{appeal.pk}/").content.decode()
    assert 'value="unchanged"' in page and 'value="changed"' not in page
    client.post(f"/ta/essays/{essays.pk}/?appeal={appeal.pk}", full_marks(essays.__class__.objects.get(pk=essays.pk)))
    page = client.get(f"/ta/appeals/{appeal.pk}/").content.decode()
    assert 'value="changed"' in page and 'value="unchanged"' not in page
    # A page opened before the second review still posts "stands": refused, the answer kept.
    page = client.post(f"/ta/appeals/{appeal.pk}/", {"outcome": "unchanged", "answer": "It stands."}).content.decode()
    assert "so it does not stand" in page and "It stands." in page
    appeal.refresh_from_db()
    assert appeal.status == "open"


def test_appeals_close_after_the_window_and_a_new_review_opens_a_new_one(client, course, people, settings):
    from datetime import timedelta

    from django.utils import timezone

    settings.APPEAL_WINDOW_DAYS = 14
    essays = reviewed_essays(people["ana"], people["ta"])
    type(essays).objects.filter(pk=essays.pk).update(reviewed_at=timezone.now() - timedelta(days=15))
    essays.refresh_from_db()
    client.force_login(people["ana"])
    assert "Appeals on this work closed on" in client.get(f"/appeals/essays/{essays.pk}/").content.decode()
    with pytest.raises(appeals.AppealRefused, match="closed on .* 14 days after its result was given"):
        appeals.file(people["ana"], essays, "Please look again", appeals.state_of(essays)["token"])

    again = reviews.review(essays, people["ta"], {c.pk: rubrics.Mark(c.max_points) for c in rubrics.criteria_for(essays)},
                           "Looked again.")
    assert appeals.can_appeal(again)
    settings.APPEAL_WINDOW_DAYS = 0  # never closes
    type(essays).objects.filter(pk=essays.pk).update(reviewed_at=timezone.now() - timedelta(days=400))
    essays.refresh_from_db()
    assert appeals.can_appeal(essays)
