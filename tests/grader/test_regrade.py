import pytest

from coursework.models import Submission
from grader import services, tasks
from tests.factories import make_student, make_submission

pytestmark = pytest.mark.django_db


def test_regrade_resets_finished_rows_and_enqueues_them_after_commit(settings, tmp_path, monkeypatch, django_capture_on_commit_callbacks):
    settings.MEDIA_ROOT = tmp_path
    sent = []
    monkeypatch.setattr(tasks.grade_submission, "delay", lambda pk: sent.append(pk))
    student = make_student()
    failed = make_submission(student, status=Submission.FAILED, message="boom")
    graded = make_submission(student, status=Submission.GRADED, accuracy=0.9, flagged=True, flag_reason="x")
    running = make_submission(student, status=Submission.RUNNING)

    with django_capture_on_commit_callbacks(execute=True):
        count = services.regrade([failed.pk, graded.pk, running.pk])

    assert count == 2 and sorted(sent) == sorted([failed.pk, graded.pk])
    graded.refresh_from_db()
    assert graded.status == Submission.QUEUED and graded.accuracy is None and not graded.flagged
    running.refresh_from_db()
    assert running.status == Submission.RUNNING  # a running row is left to finish
