"""The reference solution ("answers") opens after the student's own due date, or early at
full credit where the assignment allows it; the page offers it, or says when it opens."""
from datetime import timedelta

import pytest
from django.utils import timezone

from coursework.models import Extension
from coursework.states import SubmissionStatus
from tests.factories import make_assignment, make_student, make_submission, make_ta

pytestmark = pytest.mark.django_db
URL = "/assignments/mnist/solution.ipynb"


@pytest.fixture
def student(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    user = make_student()
    client.force_login(user)
    return user


def test_before_the_due_date_the_solution_is_closed_and_the_page_says_when_it_opens(client, student):
    make_assignment(due_at=timezone.now() + timedelta(days=2))
    assert client.get(URL).status_code == 404
    page = client.get("/assignments/mnist/").content.decode()
    assert "Answers: The reference solution opens after your due date" in page and URL not in page


def test_after_the_due_date_the_solution_is_offered_as_the_answers_link(client, student):
    make_assignment(due_at=timezone.now() - timedelta(minutes=1))
    page = client.get("/assignments/mnist/").content.decode()
    assert f'<a href="{URL}" download>Answers: the reference solution notebook</a>' in page
    response = client.get(URL)
    assert response.status_code == 200 and b'"layer_sizes = [784, 256, 128, 64, 10]\\n"' in b"".join(response)


def test_an_extension_keeps_the_solution_closed_until_the_students_own_due_date(client, student):
    assignment = make_assignment(due_at=timezone.now() - timedelta(hours=1))
    Extension.objects.create(assignment=assignment, student=student, due_at=timezone.now() + timedelta(days=1))
    assert client.get(URL).status_code == 404


def test_full_credit_opens_it_early_only_where_the_assignment_allows_it(client, student):
    assignment = make_assignment(due_at=timezone.now() + timedelta(days=2), full_credit_accuracy=0.9)
    make_submission(student, status=SubmissionStatus.GRADED, accuracy=0.95)
    assert client.get(URL).status_code == 404  # the setting is off
    assignment.solution_at_full_credit = True
    assignment.save()
    assert client.get(URL).status_code == 200
    assert "You reached full credit" in client.get("/assignments/mnist/").content.decode()


def test_below_full_credit_or_flagged_it_stays_closed_before_the_due_date(client, student):
    make_assignment(due_at=timezone.now() + timedelta(days=2), full_credit_accuracy=0.9, solution_at_full_credit=True)
    make_submission(student, status=SubmissionStatus.GRADED, accuracy=0.89)
    flagged = make_submission(student, status=SubmissionStatus.GRADED, accuracy=0.99, flagged=True)
    assert client.get(URL).status_code == 404
    page = client.get("/assignments/mnist/").content.decode()
    assert "or as soon as a graded submission of yours reaches 90%" in page
    flagged.flag_resolution = "cleared"
    flagged.save()
    assert client.get(URL).status_code == 200


def test_staff_always_see_it(client, settings, tmp_path):
    make_assignment(due_at=timezone.now() + timedelta(days=2))
    client.force_login(make_ta())
    assert client.get(URL).status_code == 200
