"""Checks on the site: their own allowance, their own page, run by the same task
in the same sandbox, and counted nowhere a graded upload counts."""
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from coursework import tasks
from coursework.grading import dispatch, regrade, store
from coursework.models import Notification, Submission
from coursework.services import gradebook, leaderboard, notebooks, progress, reviews
from coursework.states import SubmissionStatus
from tests.factories import make_assignment, make_student, make_submission
from tests.support.notebooks import nearest_mean_notebook, notebook

pytestmark = pytest.mark.django_db


@pytest.fixture
def student(settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.NOTEBOOK_CHECKS_PER_DAY = 3
    monkeypatch.setattr(dispatch, "send_grading_task", lambda pk: None)
    make_assignment(daily_submission_limit=2)
    return make_student()


def post(client, data: bytes, action: str):
    return client.post("/assignments/mnist/", {"notebook": SimpleUploadedFile("mine.ipynb", data), "action": action})


def test_a_check_from_the_assignment_page_uses_none_of_the_days_uploads(client, student):
    client.force_login(student)
    response = post(client, notebook("x = 1"), "check")

    check = Submission.all_runs.get()
    assert response.status_code == 302 and response.url == f"/submissions/{check.pk}/"
    assert check.is_check and check.status == SubmissionStatus.QUEUED
    page = client.get("/assignments/mnist/").content.decode()
    assert "2 of 2 uploads left today" in page and "2 of 3 checks left today" in page
    assert not Submission.objects.exists()  # no graded upload was made
    detail = client.get(response.url).content.decode()
    assert "Check 1: mine.ipynb" in detail and "Place in the grading queue" in detail


def test_checks_have_an_allowance_of_their_own_and_say_so_when_it_is_used_up(client, student):
    client.force_login(student)
    for _ in range(3):
        post(client, notebook("x = 1"), "check")

    refused = post(client, notebook("x = 1"), "check")

    assert refused.status_code == 200
    assert "used today&#x27;s 3 checks" in refused.content.decode()
    assert Submission.all_runs.count() == 3
    assert post(client, notebook("x = 1"), "grade").status_code == 302  # uploads are untouched
    assert notebooks.uploads_left_today(student, make_assignment()) == 1


def test_a_check_that_is_not_a_notebook_is_refused_like_an_upload_and_nothing_is_stored(client, student):
    client.force_login(student)
    response = post(client, b"not json at all", "check")
    assert response.status_code == 200 and 'class="error"' in response.content.decode()
    assert not Submission.all_runs.exists()


def test_the_task_runs_a_check_on_training_images_and_stores_no_score_pictures_or_notification(student):
    check = notebooks.submit_check(student, make_assignment(), "mine.ipynb", nearest_mean_notebook())

    outcome = tasks.grade_submission.apply(args=[check.pk]).get()
    assert outcome == SubmissionStatus.GRADED, Submission.all_runs.get(pk=check.pk).message + Submission.all_runs.get(pk=check.pk).log_tail[-2000:]

    check = Submission.all_runs.get(pk=check.pk)
    assert check.accuracy is None and check.score is None and check.public_accuracy is None
    assert check.feedback["check"]["passed"] and check.feedback["check"]["sample_size"] == 100
    assert check.executed_html and not check.confusion_png and not check.gallery_png
    assert not Notification.objects.exists()


def test_a_check_counts_nowhere_a_graded_upload_counts(client, student):
    task = make_assignment()
    best_check = make_submission(student, purpose=Submission.CHECK, status=SubmissionStatus.GRADED, accuracy=0.99,
                                 public_accuracy=0.99, private_accuracy=0.99, score=1.0)
    failed_check = make_submission(student, purpose=Submission.CHECK, status=SubmissionStatus.FAILED, message="x")
    upload = make_submission(student, status=SubmissionStatus.GRADED, accuracy=0.5, public_accuracy=0.5,
                             private_accuracy=0.5, score=0.5)

    assert [row.accuracy for row in leaderboard.standings(task)] == [0.5]
    assert [s.pk for s in reviews.notebook_queue(reviews.Filters())] == []
    assert {e["what"] for e in gradebook.timeline(student)} == {"Notebook nb.ipynb"}
    assert len(gradebook.timeline(student)) == 1
    assert regrade.regrade_problems(None) == 0
    assert notebooks.uploads_left_today(student, task) == 1
    row = next(r for r in progress.for_student(student).rows if r.kind == "notebook")
    assert row.credit.counts == 0.5 and row.status_label.startswith("1 upload; latest graded; best 50.00%")
    client.force_login(student)
    attempts = client.get("/assignments/mnist/").content.decode().split("Your attempts")[-1]
    assert f'"/submissions/{upload.pk}/"' in attempts
    assert f'"/submissions/{best_check.pk}/"' not in attempts and f'"/submissions/{failed_check.pk}/"' not in attempts
    # ...yet the student sees their checks, each on its own page.
    assert client.get(f"/submissions/{failed_check.pk}/").status_code == 200


def test_another_students_check_is_not_found(client, student):
    check = make_submission(student, purpose=Submission.CHECK)
    client.force_login(make_student("mallory"))
    assert client.get(f"/submissions/{check.pk}/").status_code == 404
    assert client.get(f"/submissions/{check.pk}/status/").status_code == 404


def test_a_finished_check_page_says_what_would_fail_and_offers_no_appeal(client, student):
    failed = make_submission(student, purpose=Submission.CHECK, status=SubmissionStatus.FAILED,
                             message="The grading step that calls predict(images) raised NotImplementedError",
                             feedback={"check": {"sample_size": 100, "passed": False}})
    client.force_login(student)
    page = client.get(f"/submissions/{failed.pk}/").content.decode()
    assert "A graded upload of this notebook would fail" in page
    assert "raised NotImplementedError" in page
    assert "appeal" not in page.lower()


def test_a_checks_executed_notebook_opens_in_its_frame_by_the_link_the_page_gives(client, student):
    from django.core.files.base import ContentFile

    check = make_submission(student, purpose=Submission.CHECK, status=SubmissionStatus.FAILED, message="x")
    check.executed_html.save("notebook.html", ContentFile(b"<p>def predict</p>"))
    client.force_login(student)
    page = client.get(f"/submissions/{check.pk}/").content.decode()
    frame_url = re.search(r'<iframe class="notebook" sandbox src="([^"]+)"', page).group(1).replace("&amp;", "&")

    client.logout()  # the sandboxed frame sends no session cookie: the link alone must do
    response = client.get(frame_url)
    assert response.status_code == 200 and b"def predict" in b"".join(response.streaming_content)


def test_a_check_the_grader_itself_failed_asks_for_another_check_and_is_not_counted(client, student):
    errored = make_submission(student, purpose=Submission.CHECK, status=SubmissionStatus.ERROR,
                              message=store.SYSTEM_ERROR_MESSAGE)
    client.force_login(student)
    page = client.get(f"/submissions/{errored.pk}/").content.decode()
    assert "Run the check again" in page and "regrade" not in page
    assert notebooks.checks_left_today(student, make_assignment()) == 3


def test_a_finished_check_empties_neither_the_leaderboards_cache_nor_the_ta_queues():
    from django.db.models import Sum

    from coursework.models import QueuesVersion, StandingsVersion

    def versions():
        return (StandingsVersion.objects.aggregate(v=Sum("version"))["v"] or 0,
                QueuesVersion.objects.aggregate(v=Sum("version"))["v"] or 0)

    ada = make_student("ada")
    passed, failed = make_submission(ada, purpose=Submission.CHECK), make_submission(ada, purpose=Submission.CHECK)
    before = versions()
    Submission.all_runs.filter(pk=passed.pk).update(status=SubmissionStatus.GRADED)
    Submission.all_runs.filter(pk=failed.pk).update(status=SubmissionStatus.FAILED, message="x")
    assert versions() == before

    upload = make_submission(ada)  # the same moves of a graded upload count, for both
    Submission.objects.filter(pk=upload.pk).update(status=SubmissionStatus.FAILED)
    assert versions()[1] > before[1]
    Submission.objects.filter(pk=upload.pk).update(status=SubmissionStatus.GRADED, public_accuracy=0.5)
    assert versions()[0] > before[0]
