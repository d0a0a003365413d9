from datetime import timedelta

import pytest
from django.utils import timezone

from coursework.models import Submission
from grader import services, tasks
from tests.factories import make_student, make_submission
from tests.support.notebooks import notebook

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    return make_submission(make_student(), notebook("def predict(images):\n    return [3] * len(images)"))


def test_a_queued_row_is_claimed_once_only(queued):
    assert tasks.claim(queued.pk) == 1
    assert tasks.claim(queued.pk) is None
    queued.refresh_from_db()
    assert queued.status == Submission.RUNNING and queued.attempts == 1


def test_the_task_grades_a_queued_submission_and_a_second_delivery_does_nothing(queued):
    assert tasks.grade_submission.apply(args=[queued.pk]).get() == "graded"
    queued.refresh_from_db()
    assert queued.status == Submission.GRADED
    assert queued.accuracy == pytest.approx(0.1010)  # digit 3 is 1010 of the 10,000 test images
    assert queued.score == pytest.approx((0.1010 - 0.10) / 0.80)  # barely above chance: barely any credit
    assert queued.confusion_png and queued.gallery_png and queued.executed_html
    finished_at = queued.finished_at

    assert tasks.grade_submission.apply(args=[queued.pk]).get().startswith("not claimed")
    queued.refresh_from_db()
    assert queued.attempts == 1 and queued.finished_at == finished_at


def test_a_stale_attempt_cannot_overwrite_a_newer_one(queued):
    first = tasks.claim(queued.pk)
    Submission.objects.filter(pk=queued.pk).update(status=Submission.QUEUED)  # as the sweeper would
    second = tasks.claim(queued.pk)
    assert services.owned_by_attempt(queued.pk, first).update(status=Submission.GRADED) == 0
    assert services.owned_by_attempt(queued.pk, second).update(status=Submission.GRADED) == 1


def test_the_sweeper_requeues_a_running_row_whose_worker_went_silent(queued, monkeypatch):
    sent = []
    monkeypatch.setattr(tasks.grade_submission, "delay", lambda pk: sent.append(pk))
    tasks.claim(queued.pk)
    Submission.objects.filter(pk=queued.pk).update(heartbeat_at=timezone.now() - timedelta(minutes=5))

    assert tasks.requeue_stuck() == 1

    queued.refresh_from_db()
    assert queued.status == Submission.QUEUED and sent == [queued.pk]


def test_the_sweeper_leaves_a_live_running_row_alone(queued, monkeypatch):
    monkeypatch.setattr(tasks.grade_submission, "delay", lambda pk: pytest.fail("must not requeue"))
    tasks.claim(queued.pk)
    assert tasks.requeue_stuck() == 0


def test_a_missing_kernel_environment_is_a_system_error_not_the_students(queued, settings):
    settings.GRADER_KERNEL_VENV = "/nonexistent/venv"
    # apply() runs retries inline; after the last one the row shows the system error.
    tasks.grade_submission.apply(args=[queued.pk], retries=tasks.MAX_SYSTEM_RETRIES)
    queued.refresh_from_db()
    assert queued.status == Submission.ERROR
    assert "not your notebook" in queued.message
    assert "make kernel-venv" in queued.log_tail  # the cause is kept for TAs


def test_a_notebook_the_grader_cannot_display_ends_failed_instead_of_staying_running(tmp_path, settings):
    """A widget view without model_id made nbconvert raise while the worker stored the
    result, so the row stayed running and the sweeper requeued it forever."""
    settings.MEDIA_ROOT = tmp_path / "media"
    view = "from IPython.display import display\ndisplay({'application/vnd.jupyter.widget-view+json': {}}, raw=True)"
    submission = make_submission(make_student(), notebook(view, "def predict(images):\n    return [3] * len(images)"))

    assert tasks.grade_submission.apply(args=[submission.pk]).get() == "failed"

    submission.refresh_from_db()
    assert submission.status == Submission.FAILED
    assert submission.message == "Cell 1 has an output the grader cannot display: a widget view without a model_id."
    with submission.executed_html.open("rb") as page:  # the page as the harness sent it
        assert b"this cell cannot be displayed" in page.read()
