"""Upload tokens and the hand-in endpoint: the upload page's checks and messages, answered as
JSON to a notebook that hands itself in."""
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from coursework.grading import dispatch
from coursework.models import Submission, UploadToken
from coursework.services import upload_tokens
from tests.factories import make_assignment, make_student
from tests.support.notebooks import notebook

pytestmark = pytest.mark.django_db
ROOT_TEMPLATE = "assignments/mnist_template.ipynb"


@pytest.fixture
def student(settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = tmp_path
    settings.SITE_URL = "https://basics.example.org"
    monkeypatch.setattr(dispatch, "send_grading_task", lambda pk: None)
    make_assignment()
    return make_student()


def hand_in(token: str | None, data: bytes, name="mine.ipynb"):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    return Client().post("/api/assignments/mnist/notebooks/", {"notebook": SimpleUploadedFile(name, data)}, **headers)


def test_a_token_hands_in_a_notebook_as_its_owner_and_answers_the_link(student):
    _, token = upload_tokens.make(student, "Colab")
    response = hand_in(token, notebook("x = 1"))
    submission = Submission.objects.get()
    assert response.status_code == 201 and submission.student == student
    assert response.json() == {"number": 1, "url": f"https://basics.example.org/submissions/{submission.pk}/"}
    assert UploadToken.objects.get().last_used_at is not None


def test_the_token_is_kept_only_as_its_hash(student):
    row, token = upload_tokens.make(student, "Colab")
    assert token.startswith("cw_") and len(token) > 40
    assert token not in json.dumps(list(UploadToken.objects.values()), default=str)
    assert row.prefix == token[:10]


@pytest.mark.parametrize("token", [None, "cw_not-a-real-token", "someone-elses-password"])
def test_no_or_an_unknown_token_is_refused_and_nothing_is_stored(student, token):
    response = hand_in(token, notebook("x = 1"))
    assert response.status_code == 401 and "unknown or revoked" in response.json()["error"]
    assert not Submission.all_runs.exists()


def test_a_revoked_token_hands_nothing_in(student):
    row, token = upload_tokens.make(student, "Colab")
    assert upload_tokens.revoke(student, row.pk)
    assert hand_in(token, notebook("x = 1")).status_code == 401


def test_the_pages_checks_come_back_as_messages(student, settings):
    _, token = upload_tokens.make(student, "Colab")
    bad = hand_in(token, b"this is not json")
    assert bad.status_code == 400 and "not valid JSON" in bad.json()["error"]
    settings.MAX_UPLOAD_BYTES = 1000
    big = hand_in(token, b"{" + b" " * 5000 + b"}", name="big.ipynb")
    assert big.status_code == 413 and "big.ipynb is larger than 1 KB" in big.json()["error"]
    assert not Submission.all_runs.exists()


def test_the_days_allowance_applies_as_on_the_page(student):
    from coursework.models import Assignment

    Assignment.objects.filter(slug="mnist").update(daily_submission_limit=1)
    _, token = upload_tokens.make(student, "Colab")
    assert hand_in(token, notebook("x = 1")).status_code == 201
    refused = hand_in(token, notebook("x = 2"))
    assert refused.status_code == 429 and Submission.objects.count() == 1


def test_a_student_revokes_only_their_own_tokens_and_has_at_most_five(student):
    other = make_student("bob")
    theirs, _ = upload_tokens.make(other, "laptop")
    assert not upload_tokens.revoke(student, theirs.pk)
    for i in range(upload_tokens.MAX_ACTIVE):
        upload_tokens.make(student, f"t{i}")
    with pytest.raises(upload_tokens.TokenRefused, match="revoke one"):
        upload_tokens.make(student, "one more")


def test_the_settings_page_shows_a_new_token_once_with_the_line_to_run(client, student):
    client.force_login(student)
    page = client.post("/profile/", {"token": "make", "token_name": "Colab"}).content.decode()
    token = page.split('hand_in("https://basics.example.org", "')[1].split('"')[0]
    assert upload_tokens.user_for(token) == student
    again = client.get("/profile/").content.decode()
    assert token not in again and token[:10] in again  # listed by its start only


def test_the_templates_hand_in_cell_is_the_linted_file():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    cells = json.loads((root / ROOT_TEMPLATE).read_text())["cells"]
    assert "".join(cells[-1]["source"]) == (root / "assignments/hand_in_cell.py").read_text()
