"""Uploads while the broker is down or the disk is full: accepted or refused clearly, nothing lost."""
import errno
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone
from kombu.exceptions import OperationalError

from coursework.models import Submission
from coursework.services import notebooks
from coursework.storage import CleanFileSystemStorage
from coursework import tasks
from coursework.grading import dispatch
from tests.factories import make_assignment, make_student
from tests.support.notebooks import notebook
from coursework.states import SubmissionStatus

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_an_upload_during_a_broker_outage_is_kept_and_sent_by_the_sweeper_later(monkeypatch, django_capture_on_commit_callbacks, settings):
    def broker_down(pk):
        raise OperationalError("Error 111 connecting to redis: Connection refused")

    monkeypatch.setattr(dispatch, "send_grading_task", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        submission = notebooks.submit_notebook(make_student(), make_assignment(), "a.ipynb", notebook("x = 1"))
    assert Submission.objects.get(pk=submission.pk).status == SubmissionStatus.QUEUED

    sent = []
    monkeypatch.setattr(dispatch, "send_grading_task", sent.append)  # the broker is back
    Submission.objects.filter(pk=submission.pk).update(created_at=timezone.now() - timedelta(seconds=settings.GRADER_STUCK_AFTER_S + 1))
    tasks.requeue_stuck()
    assert sent == [submission.pk]


class Failing(ContentFile):
    """A file whose second chunk cannot be written, as on a full disk."""

    def chunks(self, chunk_size=None):
        yield b"x" * 1000
        raise OSError(errno.ENOSPC, "No space left on device")


def test_a_write_that_fails_leaves_no_partial_file(tmp_path):
    storage = CleanFileSystemStorage(location=tmp_path)
    with pytest.raises(OSError):
        storage.save("notebooks/a.ipynb", Failing(b""))
    assert not any(p.is_file() for p in tmp_path.rglob("*"))


def test_a_full_disk_refuses_the_upload_beside_the_field_and_stores_nothing(client, monkeypatch):
    make_assignment()
    client.force_login(make_student())

    def full(self, name, content):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(CleanFileSystemStorage, "_save", full)
    from django.core.files.uploadedfile import SimpleUploadedFile

    page = client.post("/assignments/mnist/", {"notebook": SimpleUploadedFile("a.ipynb", notebook("x = 1"))})
    assert page.status_code == 200
    assert "could not store your notebook just now" in page.content.decode()
    assert not Submission.objects.exists()
