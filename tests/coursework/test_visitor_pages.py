"""Pages kept for visitors who are not signed in: served without rendering, never stale."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from coursework.models import Assignment, Page, Profile, Question
from coursework.states import SubmissionStatus
from tests.factories import make_assignment, make_student, make_submission

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def reading():
    return Page.objects.create(slug="reading", title="A reading", kind=Page.READING, body="The first version.")


def queries_of(client, path):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200
    return response, len(queries)


@pytest.mark.parametrize("path", ["/", "/unit/reading/", "/leaderboard/", "/leaderboard/rows/"])
def test_a_visitors_second_request_is_one_query_and_the_same_page(client, reading, path):
    make_assignment()
    first, rendering = queries_of(client, path)
    second, kept = queries_of(client, path)
    assert kept == 1 < rendering
    assert second.content == first.content
    assert second["Content-Type"] == first["Content-Type"]


def test_a_page_edited_behind_the_sites_back_reaches_visitors_at_once(client, reading):
    assert b"The first version." in client.get("/unit/reading/").content
    # A queryset update: no save(), no signal; only the database's trigger sees it.
    Page.objects.filter(pk=reading.pk).update(body="The second version.")
    assert b"The second version." in client.get("/unit/reading/").content


def test_a_question_or_a_due_date_changed_reaches_visitors_at_once(client, reading):
    from coursework.models import QuestionSet

    question_set = QuestionSet.objects.create(page=reading)
    Question.objects.create(question_set=question_set, order=1, text="What is a weight?")
    assignment = make_assignment()
    client.get("/unit/reading/"), client.get("/leaderboard/")
    Question.objects.filter(question_set=question_set).update(text="What is a bias?")
    Assignment.objects.filter(pk=assignment.pk).update(title="Renamed task")
    assert b"What is a bias?" in client.get("/unit/reading/").content
    assert b"Renamed task" in client.get("/leaderboard/").content


def test_a_new_grade_reaches_the_visitors_leaderboard_at_once(client):
    make_assignment()
    ada = make_student("ada")
    Profile.objects.create(user=ada, display_name="Ada", leaderboard_alias="lovelace")
    assert b"lovelace" not in client.get("/leaderboard/").content
    make_submission(ada, status=SubmissionStatus.GRADED, accuracy=0.9, public_accuracy=0.9, private_accuracy=0.9)
    assert b"lovelace" in client.get("/leaderboard/").content
    assert b"lovelace" in client.get("/leaderboard/rows/").content


def test_a_signed_in_student_never_gets_the_visitors_copy(client):
    make_assignment()
    ada = make_student("ada")
    Profile.objects.create(user=ada, display_name="Ada", leaderboard_alias="lovelace")
    make_submission(ada, status=SubmissionStatus.GRADED, accuracy=0.9, public_accuracy=0.9, private_accuracy=0.9)
    client.get("/leaderboard/"), client.get("/")  # kept for visitors
    client.force_login(ada)
    assert f'tr[data-student="{ada.pk}"]'.encode() in client.get("/leaderboard/").content
    assert b"Log out" in client.get("/").content


def test_a_visitor_with_a_message_waiting_gets_the_page_drawn_for_them(client, reading):
    client.get("/unit/reading/")
    client.cookies["messages"] = "anything"
    _, count = queries_of(client, "/unit/reading/")
    assert count > 1


def test_a_page_that_sets_a_cookie_is_not_kept(rf):
    from django.contrib.auth.models import AnonymousUser
    from django.http import HttpResponse

    from coursework.views.visitors import kept_for_visitors

    drawn = []

    @kept_for_visitors(lambda request: "v1")
    def view(request):
        drawn.append(1)
        response = HttpResponse("a form")
        response.set_cookie("csrftoken", "x")
        return response

    for _ in range(2):
        request = rf.get("/form/")
        request.user = AnonymousUser()
        view(request)
    assert len(drawn) == 2


def test_made_up_query_strings_share_the_one_kept_copy(client, reading):
    client.get("/unit/reading/")
    for n in range(3):
        _, count = queries_of(client, f"/unit/reading/?utm={n}")
        assert count == 1


def test_each_leaderboard_page_is_kept_apart(client):
    make_assignment()
    for n in range(1, 131):
        student = make_student(f"s{n:03d}")
        Profile.objects.create(user=student, display_name=f"S{n}", leaderboard_alias=f"alias{n:03d}")
        make_submission(student, status=SubmissionStatus.GRADED, accuracy=0.5 + n / 1000, public_accuracy=0.5 + n / 1000,
                        private_accuracy=0.5)
    first, second = client.get("/leaderboard/?page=1").content, client.get("/leaderboard/?page=2").content
    assert first != second
    assert client.get("/leaderboard/?page=2").content == second
