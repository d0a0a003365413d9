from pathlib import Path

import pytest

from coursework.grading import dispatch
from coursework.models import Submission
from tests.factories import make_assignment, make_student, make_submission
from tests.support.notebooks import notebook
from coursework.states import SubmissionStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def student_client(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    make_assignment()
    client.force_login(make_student())
    return client


def upload(client, name, data):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post("/assignments/mnist/", {"notebook": SimpleUploadedFile(name, data)})


def test_an_upload_stores_a_queued_row_and_enqueues_it_only_after_commit(student_client, monkeypatch, django_capture_on_commit_callbacks):
    sent = []
    monkeypatch.setattr(dispatch, "send_grading_task", lambda pk: sent.append(pk))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = upload(student_client, "mine.ipynb", notebook("x = 1"))
    submission = Submission.objects.get()
    assert response.status_code == 302 and response.url == f"/submissions/{submission.pk}/"
    assert submission.status == SubmissionStatus.QUEUED and submission.original_name == "mine.ipynb"
    assert sent == []  # nothing is sent before the transaction commits
    for callback in callbacks:
        callback()
    assert sent == [submission.pk]


def test_a_file_that_is_not_json_is_refused_beside_the_field_and_nothing_is_stored(student_client):
    response = upload(student_client, "bad.ipynb", b"this is not json")
    assert response.status_code == 200
    assert "not valid JSON" in response.content.decode()
    assert not Submission.objects.exists()


def test_a_file_without_the_ipynb_extension_is_refused(student_client):
    response = upload(student_client, "notes.txt", notebook("x = 1"))
    assert "must end in .ipynb" in response.content.decode()
    assert not Submission.objects.exists()


def test_an_oversized_upload_is_refused_before_it_is_read(student_client, settings):
    settings.MAX_UPLOAD_BYTES = 1000
    response = upload(student_client, "big.ipynb", b"{" + b" " * 5000 + b"}")
    assert "big.ipynb is larger than 1 KB, the limit for a notebook" in response.content.decode()
    assert not Submission.objects.exists()


HEAD = (b"--b\r\nContent-Disposition: form-data; name=\"notebook\"; filename=\"huge.ipynb\"\r\n"
        b"Content-Type: application/octet-stream\r\n\r\n")


@pytest.mark.parametrize("body", [
    HEAD + b"{" + b" " * (8 * 1024 * 1024),  # a file past the limit, never ended
    HEAD + b"{}\r\n--b--\r\n" + b"x" * (8 * 1024 * 1024),  # a small file, then an epilogue without a line break
], ids=["oversized file", "long epilogue"])
def test_the_rest_of_a_body_is_read_in_chunks_never_a_line_at_a_time(rf, body):
    # Left to Django, what is left of a body is read line by line, and a body without a line
    # break is one line: a 500 MB one took a web worker to 1.2 GB.
    import io

    from django.core.handlers.wsgi import WSGIRequest
    from django.http.multipartparser import MultiPartParserError

    from coursework.uploads import guard

    class Recording(io.BytesIO):
        largest = 0

        def read(self, *args):
            data = super().read(*args)
            Recording.largest = max(Recording.largest, len(data))
            return data

        def readline(self, *args):
            data = super().readline(*args)
            Recording.largest = max(Recording.largest, len(data))
            return data

    stream = Recording(body)
    request = WSGIRequest({**rf.post("/").environ, "CONTENT_TYPE": "multipart/form-data; boundary=b",
                           "CONTENT_LENGTH": str(len(body)), "wsgi.input": stream})
    guard(request, 1000)
    try:
        assert request.FILES is not None  # parses the body
    except MultiPartParserError:
        assert b"--b--" in body  # Django refuses a body that goes on after its end (a 400)
    else:
        assert stream.tell() == len(body), "the rest of the body is read, so the client gets the page"
    assert Recording.largest <= 1024 * 1024, f"one read of {Recording.largest} bytes"


@pytest.mark.parametrize("padding, streamed", [(64, False), (4000, True)], ids=["small", "past the threshold"])
def test_a_notebook_past_the_memory_threshold_streams_to_disk_and_is_stored_by_a_move(
        student_client, settings, monkeypatch, padding, streamed):
    """Above FILE_UPLOAD_MAX_MEMORY_SIZE the upload arrives in a temporary file, and the
    stored notebook is that file moved into place, byte for byte; below it, written from memory."""
    from django.core.files.storage import filesystem

    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 2000
    moved = []
    real_move = filesystem.file_move_safe
    monkeypatch.setattr(filesystem, "file_move_safe", lambda old, new, **kw: (moved.append(old), real_move(old, new, **kw)))
    data = notebook("x = 1  # " + "a" * padding)
    response = upload(student_client, "mine.ipynb", data)
    submission = Submission.objects.get()
    assert response.status_code == 302 and response.url == f"/submissions/{submission.pk}/"
    assert submission.notebook.read() == data
    assert bool(moved) is streamed
    assert not any(Path(old).exists() for old in moved), "the temporary file was left behind"


def test_a_path_traversal_file_name_is_kept_only_as_a_plain_name(student_client, monkeypatch):
    monkeypatch.setattr(dispatch, "send_grading_task", lambda pk: None)
    upload(student_client, "../../etc/evil.ipynb", notebook("x = 1"))
    submission = Submission.objects.get()
    assert submission.original_name == "evil.ipynb"
    assert ".." not in submission.notebook.name


def test_another_students_submission_is_a_404(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    theirs = make_submission(make_student("bob"))
    client.force_login(make_student("alice"))
    assert client.get(f"/submissions/{theirs.pk}/").status_code == 404
    assert client.get(f"/submissions/{theirs.pk}/status/").status_code == 404


def test_the_status_fragment_says_whether_to_keep_polling(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    student = make_student()
    submission = make_submission(student, status=SubmissionStatus.GRADED, accuracy=0.83, public_accuracy=0.820312345)
    client.force_login(student)
    fragment = client.get(f"/submissions/{submission.pk}/status/").content.decode()
    assert 'data-pending="false"' in fragment and "82.03%" in fragment and "83.00%" not in fragment  # the public half


def test_an_anonymous_visitor_is_sent_to_log_in(client):
    make_assignment()
    response = client.get("/assignments/mnist/")
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")


def test_a_student_counts_their_own_uploads_and_checks_whatever_others_hand_in(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    make_assignment()
    ada, bob = make_student("ada"), make_student("bob")
    first = make_submission(ada)
    make_submission(bob)
    make_submission(ada, purpose=Submission.CHECK)
    second = make_submission(ada)
    client.force_login(ada)

    assert "Upload 2:" in client.get(f"/submissions/{second.pk}/").content.decode()
    assert "Upload 1:" in client.get(f"/submissions/{first.pk}/").content.decode()
    page = client.get("/assignments/mnist/").content.decode()
    assert f'href="/submissions/{second.pk}/">2</a>' in page and f'href="/submissions/{first.pk}/">1</a>' in page
    check = Submission.all_runs.get(student=ada, purpose=Submission.CHECK)
    assert f'href="/submissions/{check.pk}/">1</a>' in page
