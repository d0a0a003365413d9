import pytest

from coursework.grading import dispatch, store
from coursework.models import Submission
from coursework.services import notebooks
from tests.factories import make_assignment, make_student, make_submission
from tests.support.notebooks import notebook
from coursework.states import SubmissionStatus

pytestmark = pytest.mark.django_db


def test_the_daily_limit_refuses_one_upload_too_many_and_says_when(settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = tmp_path
    monkeypatch.setattr(dispatch, "send_grading_task", lambda pk: None)
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


TEMPLATE_TODO = {"failure": {"mistake": {"key": "template_todo", "name": "A part of the template is not written yet",
                                         "fix": "`predict` still ends in the template's `raise NotImplementedError`."},
                             "cell": 10, "function": "predict(images)", "error": "NotImplementedError", "frames": []}}


def _run_ends_at_the_templates_todo(submission):
    from grader.result import GradeResult

    submission.status, submission.attempts = SubmissionStatus.RUNNING, 1
    submission.save()
    return store.record_result(submission.pk, 1, GradeResult(status="failed", message="...raised NotImplementedError",
                                                               feedback=TEMPLATE_TODO))


def test_the_template_uploaded_unchanged_gives_its_upload_back_when_its_run_shows_it(settings, tmp_path):
    from coursework.services.project_files import TEMPLATE_NOTEBOOK

    settings.MEDIA_ROOT = tmp_path
    assignment = make_assignment(daily_submission_limit=2)
    student = make_student()
    submission = make_submission(student, TEMPLATE_NOTEBOOK.read_bytes())
    assert notebooks.uploads_left_today(student, assignment) == 1  # counted while it runs
    assert _run_ends_at_the_templates_todo(submission)
    submission.refresh_from_db()
    assert submission.refunded_at is not None and submission.status == SubmissionStatus.FAILED
    assert notebooks.uploads_left_today(student, assignment) == 2


def test_a_template_with_any_code_of_the_students_still_counts(settings, tmp_path):
    import json

    from coursework.services.project_files import TEMPLATE_NOTEBOOK

    settings.MEDIA_ROOT = tmp_path
    assignment = make_assignment(daily_submission_limit=2)
    student = make_student()
    nb = json.loads(TEMPLATE_NOTEBOOK.read_bytes())
    nb["cells"].append({"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
                        "source": "print('my own training loop')"})
    ran = nb["cells"][2]  # outputs saved on the student's machine change no code
    ran["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "(60000, 784)\n"}]
    _run_ends_at_the_templates_todo(make_submission(student, json.dumps(nb).encode()))
    assert notebooks.uploads_left_today(student, assignment) == 1
    nb["cells"].pop()
    _run_ends_at_the_templates_todo(make_submission(student, json.dumps(nb).encode()))
    assert notebooks.uploads_left_today(student, assignment) == 1  # the run template, refunded


def test_a_run_that_failed_otherwise_counts_even_for_the_template(settings, tmp_path):
    from coursework.services.project_files import TEMPLATE_NOTEBOOK
    from grader.result import GradeResult

    settings.MEDIA_ROOT = tmp_path
    assignment = make_assignment(daily_submission_limit=2)
    student = make_student()
    submission = make_submission(student, TEMPLATE_NOTEBOOK.read_bytes(), status=SubmissionStatus.RUNNING, attempts=1)
    store.record_result(submission.pk, 1, GradeResult(status="failed", message="Cell 3 ran out of memory",
                                                        feedback={"failure": {"mistake": {"key": "memory"}}}))
    assert notebooks.uploads_left_today(student, assignment) == 1
