import pytest

from coursework.models import Submission
from coursework.services import notebooks
from coursework.services import grading
from tests.factories import make_assignment, make_student, make_submission
from tests.support.notebooks import notebook
from coursework.states import SubmissionStatus

pytestmark = pytest.mark.django_db


def test_the_daily_limit_refuses_one_upload_too_many_and_says_when(settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = tmp_path
    monkeypatch.setattr(grading, "send_grading_task", lambda pk: None)
    assignment = make_assignment(daily_submission_limit=2)
    student = make_student()
    for _ in range(2):
        notebooks.submit_notebook(student, assignment, "a.ipynb", notebook("x = 1"))
    assert notebooks.uploads_left_today(student, assignment) == 0
    with pytest.raises(notebooks.DailyLimitReached, match="midnight UTC"):
        notebooks.submit_notebook(student, assignment, "a.ipynb", notebook("x = 1"))
    assert Submission.objects.count() == 2


def test_uploads_that_failed_because_of_the_system_do_not_count(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    assignment = make_assignment(daily_submission_limit=2)
    student = make_student()
    make_submission(student, status=SubmissionStatus.ERROR)
    make_submission(student, status=SubmissionStatus.FAILED)
    assert notebooks.uploads_left_today(student, assignment) == 1


def test_the_page_shows_how_many_uploads_are_left(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    make_assignment(daily_submission_limit=3)
    student = make_student()
    make_submission(student)
    client.force_login(student)
    assert "2 of 3 uploads left today" in client.get("/assignments/mnist/").content.decode()
