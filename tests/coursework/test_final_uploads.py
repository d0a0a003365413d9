"""Final uploads: what a student stands by for the private leaderboard."""
from datetime import timedelta

import pytest
from django.utils import timezone

from coursework.models import Extension, Profile, Submission
from coursework.services import finals, leaderboard
from coursework.states import SubmissionStatus
from tests.factories import make_assignment, make_student, make_submission

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def assignment():
    return make_assignment(due_at=timezone.now() + timedelta(days=2))


def student(name):
    user = make_student(name)
    Profile.objects.create(user=user, display_name=name.title(), leaderboard_alias=name)
    return user


def graded(user, public, private, minutes_ago=0):
    submission = make_submission(user, status=SubmissionStatus.GRADED, accuracy=(public + private) / 2,
                                 public_accuracy=public, private_accuracy=private)
    Submission.objects.filter(pk=submission.pk).update(created_at=timezone.now() - timedelta(minutes=minutes_ago),
                                                       finished_at=timezone.now() - timedelta(minutes=minutes_ago))
    return submission


def private_board(assignment):
    assignment.private_revealed = True
    assignment.save()
    return [(r.name, r.accuracy) for r in leaderboard.standings(assignment)]


def test_the_private_board_ranks_the_best_private_score_among_the_marked_finals_only(assignment):
    ada = student("ada")
    lucky = graded(ada, 0.97, 0.99, minutes_ago=30)  # best on the private half, not marked
    first = graded(ada, 0.98, 0.975, minutes_ago=20)
    second = graded(ada, 0.981, 0.978, minutes_ago=10)
    finals.mark(ada, first.pk)
    finals.mark(ada, second.pk)

    assert private_board(assignment) == [("ada", 0.978)]
    assert lucky.pk not in [s.pk for s in finals.marked(ada, assignment)]


def test_with_none_marked_the_best_two_by_the_public_half_are_final(assignment):
    ada = student("ada")
    graded(ada, 0.95, 0.99, minutes_ago=30)  # third by the public half: not final
    graded(ada, 0.98, 0.975, minutes_ago=20)
    graded(ada, 0.97, 0.977, minutes_ago=10)

    assert [s.public_accuracy for s in finals.default_finals(ada, assignment)] == [0.98, 0.97]
    assert private_board(assignment) == [("ada", 0.977)]


def test_one_marked_final_is_the_only_one_that_ranks(assignment):
    ada = student("ada")
    graded(ada, 0.98, 0.985, minutes_ago=20)
    chosen = graded(ada, 0.97, 0.970, minutes_ago=10)
    finals.mark(ada, chosen.pk)

    assert private_board(assignment) == [("ada", 0.970)]


def test_a_third_final_is_refused_with_a_message(assignment):
    ada = student("ada")
    uploads = [graded(ada, 0.9 + i / 100, 0.9, minutes_ago=10 - i) for i in range(3)]
    finals.mark(ada, uploads[0].pk)
    finals.mark(ada, uploads[1].pk)

    with pytest.raises(finals.FinalRefused, match="already have 2 final uploads: unmark one"):
        finals.mark(ada, uploads[2].pk)
    finals.unmark(ada, uploads[0].pk)
    finals.mark(ada, uploads[2].pk)
    assert {s.pk for s in finals.marked(ada, assignment)} == {uploads[1].pk, uploads[2].pk}


def test_marking_after_the_due_date_is_refused(assignment):
    ada = student("ada")
    upload = graded(ada, 0.98, 0.98)
    assignment.due_at = timezone.now() - timedelta(minutes=1)
    assignment.save()

    with pytest.raises(finals.FinalRefused, match="due date .* has passed"):
        finals.mark(ada, upload.pk)
    with pytest.raises(finals.FinalRefused, match="has passed"):
        finals.unmark(ada, upload.pk)


def test_an_extension_keeps_marking_open_for_that_student(assignment):
    ada = student("ada")
    upload = graded(ada, 0.98, 0.98)
    assignment.due_at = timezone.now() - timedelta(minutes=1)
    assignment.save()
    Extension.objects.create(assignment=assignment, student=ada, due_at=timezone.now() + timedelta(days=1))

    assert finals.mark(ada, upload.pk).final_marked_at is not None


def test_marking_someone_elses_upload_is_refused(assignment):
    ada, bob = student("ada"), student("bob")
    bobs = graded(bob, 0.98, 0.98)

    with pytest.raises(finals.FinalRefused, match="only your own uploads"):
        finals.mark(ada, bobs.pk)
    assert Submission.objects.get(pk=bobs.pk).final_marked_at is None


def test_marking_an_ungraded_upload_is_refused(assignment):
    ada = student("ada")
    failed = make_submission(ada, status=SubmissionStatus.FAILED)
    queued = make_submission(ada)

    for upload in (failed, queued):
        with pytest.raises(finals.FinalRefused, match="Only a graded upload can be final"):
            finals.mark(ada, upload.pk)


def test_the_attempts_page_marks_finals_and_shows_a_refusal_in_words(client, assignment):
    ada = student("ada")
    uploads = [graded(ada, 0.9 + i / 100, 0.9, minutes_ago=10 - i) for i in range(3)]
    client.force_login(ada)

    page = client.get(f"/assignments/{assignment.slug}/").content.decode()
    assert "final by default" in page and "Mark final" in page

    for upload in uploads[:2]:
        client.post(f"/submissions/{upload.pk}/final/")
    refused = client.post(f"/submissions/{uploads[2].pk}/final/", follow=True).content.decode()

    assert "You already have 2 final uploads: unmark one of them first." in refused
    assert [s.pk for s in finals.marked(ada, assignment)] == [uploads[0].pk, uploads[1].pk]


def test_someone_elses_upload_is_not_found_from_the_page(client, assignment):
    ada, bob = student("ada"), student("bob")
    bobs = graded(bob, 0.97, 0.97)
    client.force_login(ada)

    assert client.post(f"/submissions/{bobs.pk}/final/").status_code == 404
    assert Submission.objects.get(pk=bobs.pk).final_marked_at is None


def test_a_new_mark_changes_the_cached_private_board(client, assignment):
    ada = student("ada")
    graded(ada, 0.98, 0.990, minutes_ago=20)
    other = graded(ada, 0.97, 0.975, minutes_ago=10)
    assignment.private_revealed = True
    assignment.save()
    assert [r.accuracy for r in client.get("/leaderboard/").context["rows"] if not r.is_reference] == [0.990]

    Submission.objects.filter(pk=other.pk).update(final_marked_at=timezone.now())  # as if marked before the due date

    assert [r.accuracy for r in client.get("/leaderboard/").context["rows"] if not r.is_reference] == [0.975]
