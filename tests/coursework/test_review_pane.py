"""Reviewing for an evening: points per criterion checked, feedback only on purpose, a
second TA's save noticed, drafts that come back, essays rendered, moving through a queue."""
from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.formats import date_format

from coursework.models import Assignment, AuditEvent, EssaySubmission, ReviewDraft, SynthesisResponse
from coursework.services import deadlines, reviews, rubrics
from tests.factories import full_marks, make_profile, make_student, make_ta, submitted_essays, submitted_synthesis

pytestmark = pytest.mark.django_db


@pytest.fixture
def work(course):
    students = [make_student(n) for n in ("ana", "ben", "cy")]
    for s in students:
        make_profile(s)
    return {"students": students, "synthesis": [submitted_synthesis(s) for s in students],
            "essays": submitted_essays(students[0])}


@pytest.mark.parametrize("points, message", [
    ("3", "is more than its maximum of 2 points"),
    ("-1", "points cannot be negative"),
    ("two", "is not a number of points"),
    ("", "give it points (0 to 2)"),
])
def test_bad_points_are_refused_naming_the_criterion_and_nothing_typed_is_lost(client, work, ta, points, message):
    item = work["synthesis"][0]
    first = rubrics.criteria_for(item)[0]
    data = full_marks(item, **{f"criterion-{first.pk}": points, f"criterion-{first.pk}-comment": "Keep this comment",
                               "feedback": "And this overall note"})
    response = client.post(f"/ta/synthesis/{item.pk}/", data)
    page = response.content.decode()
    assert response.status_code == 200 and message in page and first.name in page
    assert "Keep this comment" in page and "And this overall note" in page
    item.refresh_from_db()
    assert item.status == "submitted" and item.score is None and not AuditEvent.objects.exists()


def test_a_review_without_points_is_saved_only_as_feedback_only_and_says_so_to_the_student(client, work, ta):
    item = work["synthesis"][0]
    client.post(f"/ta/synthesis/{item.pk}/", {"feedback": "Let's talk in the lab.", "feedback_only": "on",
                                              "version": "0"})
    item.refresh_from_db()
    assert item.status == "reviewed" and item.feedback_only and item.score is None
    client.force_login(work["students"][0])
    page = client.get(f"/synthesis/{item.question_set.page.slug}/").content.decode()
    assert "Feedback only: this review carries no score." in page and "Let&#x27;s talk in the lab." in page


def test_a_task_with_no_rubric_asks_for_one_before_a_score(client, work, ta, course):
    item = work["essays"]
    course[Assignment.ESSAYS].rubric.all().delete()
    page = client.post(f"/ta/essays/{item.pk}/", {"feedback": "Fine.", "version": "0"}).content.decode()
    assert "This task has no rubric yet" in page and 'href="/ta/rubrics/essays/"' in page
    assert EssaySubmission.objects.get(pk=item.pk).status == "submitted"


def test_when_two_tas_save_the_same_review_the_later_one_is_told_and_keeps_what_they_typed(client, work, ta):
    item = work["synthesis"][0]
    sam = make_ta("sam")
    make_profile(sam)
    # Both open the page at version 0; Sam saves first.
    reviews.review(item, sam, {c.pk: rubrics.Mark(c.max_points) for c in rubrics.criteria_for(item)}, "Sam's note")
    response = client.post(f"/ta/synthesis/{item.pk}/", full_marks(item, feedback="Tara's note", version="0"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Sam saved a review of this work" in page and "Tara&#x27;s note" in page and 'name="version" value="1"' in page
    item.refresh_from_db()
    assert item.ta_feedback == "Sam's note" and item.review_version == 1
    # Saving again now replaces Sam's, knowingly.
    client.post(f"/ta/synthesis/{item.pk}/", full_marks(item, feedback="Tara's note", version="1"))
    item.refresh_from_db()
    assert item.ta_feedback == "Tara's note" and item.review_version == 2
    assert AuditEvent.objects.filter(action="review").count() == 2


def test_a_draft_typed_and_not_saved_comes_back_and_is_gone_once_the_review_is_saved(client, work, ta):
    item = work["synthesis"][0]
    first = rubrics.criteria_for(item)[0]
    saved = client.post(f"/ta/drafts/synthesis/{item.pk}/", {f"criterion-{first.pk}": "1",
                                                            f"criterion-{first.pk}-comment": "Half right so far",
                                                            "feedback": "Draft overall", "csrfmiddlewaretoken": "x",
                                                            "unrelated": "dropped"})
    assert saved.json()["saved"]
    assert ReviewDraft.objects.get().fields == {f"criterion-{first.pk}": "1",
                                                f"criterion-{first.pk}-comment": "Half right so far",
                                                "feedback": "Draft overall"}
    page = client.get(f"/ta/synthesis/{item.pk}/").content.decode()
    assert "Half right so far" in page and "Draft overall" in page and "had not saved yet" in page
    client.post(f"/ta/synthesis/{item.pk}/", full_marks(item))
    assert not ReviewDraft.objects.exists()
    # Another TA does not see Tara's draft.
    client.force_login(make_ta("sam"))
    assert "Half right so far" not in client.get(f"/ta/synthesis/{item.pk}/").content.decode()


def test_essays_are_shown_rendered_from_markdown_and_sanitised(client, work, ta):
    item = work["essays"]
    essay = item.essays.first()
    essay.text = "## My claim\n\nNeurons **fire**. <script>alert(1)</script> [x](javascript:alert(2))"
    essay.save()
    page = client.get(f"/ta/essays/{item.pk}/").content.decode()
    assert "<h2>My claim</h2>" in page and "<strong>fire</strong>" in page
    assert "<script>alert(1)" not in page and 'href="javascript' not in page


def test_save_and_next_goes_to_the_next_waiting_item_and_previous_finds_the_one_just_reviewed(client, work, ta):
    first, second, third = work["synthesis"]
    response = client.post(f"/ta/synthesis/{first.pk}/", full_marks(first))
    assert response.url == f"/ta/synthesis/{second.pk}/"
    page = client.get(response.url)
    assert page.context["previous_url"] == f"/ta/synthesis/{first.pk}/"
    assert page.context["next_url"] == f"/ta/synthesis/{third.pk}/"


def test_the_review_page_offers_each_criterions_levels_and_comment_bank(client, work, ta):
    page = client.get(f"/ta/essays/{work['essays'].pk}/").content.decode()
    assert 'class="level" data-points="2"' in page and "Clear and well organised" in page
    assert 'data-text="Clear and easy to follow."' in page and "<kbd>1</kbd>" in page
    assert page.count('<fieldset class="criterion') == 4 and page.count('class="points"') == 4


def test_the_review_and_its_points_per_criterion_reach_the_student_and_the_audit_trail(client, work, ta):
    item = work["essays"]
    criteria = rubrics.criteria_for(item)
    data = full_marks(item, **{f"criterion-{criteria[2].pk}": "1.5",
                               f"criterion-{criteria[2].pk}-comment": "Give an example from the reading."})
    client.post(f"/ta/essays/{item.pk}/", data)
    event = AuditEvent.objects.get(action="review")
    assert event.changes["after"]["score"] == 8.5 and event.changes["after"]["rubric"]["criteria"][2]["points"] == 1.5
    client.force_login(work["students"][0])
    page = client.get("/essays/").content.decode()
    assert "Reasoning and examples" in page and "1.5 / 3" in page and "Give an example from the reading." in page
    assert "8.5" in page and "of 10 points" in page


def test_a_resubmitted_synthesis_set_waits_in_the_queue_again(client, work, ta):
    item = work["synthesis"][0]
    client.post(f"/ta/synthesis/{item.pk}/", full_marks(item, request_resubmission="1"))
    assert SynthesisResponse.objects.get(pk=item.pk).status == "resubmit"


def test_the_resubmission_date_is_filled_in_with_the_default_and_the_date_a_ta_picks_is_kept(client, work, ta,
                                                                                               settings):
    settings.RESUBMISSION_DAYS = 7
    item = work["synthesis"][0]
    default = timezone.localtime(reviews.default_resubmit_by(item)).date()
    assert f'name="resubmit_by" value="{default.isoformat()}"' in client.get(f"/ta/synthesis/{item.pk}/").content.decode()
    picked = timezone.localdate() + timedelta(days=10)
    client.post(f"/ta/synthesis/{item.pk}/", full_marks(item, request_resubmission="1", resubmit_by=picked.isoformat()))
    item.refresh_from_db()
    assert (item.status, item.resubmit_by) == ("resubmit", deadlines.end_of_day(picked))
    assert date_format(picked, "j M") in client.get("/ta/?queue=synthesis&status=resubmit").content.decode()
    client.force_login(work["students"][0])
    page = client.get(f"/synthesis/{item.question_set.page.slug}/").content.decode()
    assert f"Resubmit by {date_format(picked, 'D j M Y')}, 23:59" in page
    assert "counts as handed in when the one your TA sent back was (on time)" in page


def test_a_resubmission_date_in_the_past_is_refused_with_a_message_and_nothing_is_saved(client, work, ta):
    item = work["synthesis"][0]
    yesterday = timezone.localdate() - timedelta(days=1)
    response = client.post(f"/ta/synthesis/{item.pk}/", full_marks(item, request_resubmission="1",
                                                                   resubmit_by=yesterday.isoformat()))
    page = response.content.decode()
    assert response.status_code == 200 and "has passed. Choose today or a later date." in page
    item.refresh_from_db()
    assert (item.status, item.resubmit_by) == ("submitted", None)


def test_a_student_sees_when_a_requested_essay_resubmission_is_due(client, work, ta):
    item = work["essays"]
    due = deadlines.due_for(item.student, rubrics.task_of(item))
    picked = max(timezone.localdate(), timezone.localtime(due).date() if due else timezone.localdate()) + timedelta(days=5)
    client.post(f"/ta/essays/{item.pk}/", full_marks(item, request_resubmission="1", resubmit_by=picked.isoformat()))
    assert EssaySubmission.objects.get(pk=item.pk).resubmit_by == deadlines.end_of_day(picked)
    client.force_login(work["students"][0])
    assert f"Resubmit by {date_format(picked, 'D j M Y')}, 23:59" in client.get("/essays/").content.decode()
