import pytest
from django.contrib.auth.models import User

from coursework.grading import dispatch, regrade
from coursework.models import Assignment, AuditEvent, Submission
from coursework.states import SubmissionStatus
from tests.factories import make_assignment, make_student, make_submission

pytestmark = pytest.mark.django_db


def test_regrade_resets_finished_rows_and_enqueues_them_after_commit(settings, tmp_path, monkeypatch,
                                                                     django_capture_on_commit_callbacks):
    settings.MEDIA_ROOT = tmp_path
    sent = []
    monkeypatch.setattr(dispatch, "send_grading_task", sent.append)
    student = make_student()
    failed = make_submission(student, status=SubmissionStatus.FAILED, message="boom")
    graded = make_submission(student, status=SubmissionStatus.GRADED, accuracy=0.9, flagged=True, flag_reason="x")
    running = make_submission(student, status=SubmissionStatus.RUNNING)

    with django_capture_on_commit_callbacks(execute=True):
        count = regrade.regrade([failed.pk, graded.pk, running.pk], None, via="test")

    assert count == 2 and sorted(sent) == sorted([failed.pk, graded.pk])
    graded.refresh_from_db()
    assert graded.status == SubmissionStatus.QUEUED and graded.accuracy is None and not graded.flagged
    running.refresh_from_db()
    assert running.status == SubmissionStatus.RUNNING  # a running row is left to finish


def test_a_regrade_clears_an_earlier_flag_decision_and_is_audited(settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = tmp_path
    monkeypatch.setattr(dispatch, "send_grading_task", lambda pk: None)
    ta = User.objects.create(username="ta", is_staff=True)
    cleared = make_submission(make_student(), status=SubmissionStatus.GRADED, accuracy=0.99, flagged=True,
                              flag_reason="probe gap", flag_resolution="cleared", flag_resolved_by=ta)

    regrade.regrade([cleared.pk], ta, via="dashboard")

    cleared.refresh_from_db()
    assert cleared.flag_resolution == "" and cleared.flag_resolved_by is None  # the new run earns a new decision
    event = AuditEvent.objects.get(action="regrade")
    assert event.target == cleared and event.actor == ta and event.student == cleared.student
    assert event.changes == {"via": "dashboard", "previous_status": "graded", "previous_accuracy": 0.99,
                             "previous_flag_decision": "cleared"}


def test_the_command_admin_and_dashboard_regrade_through_the_same_audited_function(settings, tmp_path, monkeypatch):
    from django.core.management import call_command

    settings.MEDIA_ROOT = tmp_path
    monkeypatch.setattr(dispatch, "send_grading_task", lambda pk: None)
    failed = make_submission(make_student(), status=SubmissionStatus.FAILED)
    call_command("regrade", str(failed.pk))
    assert Submission.objects.get(pk=failed.pk).status == SubmissionStatus.QUEUED
    assert AuditEvent.objects.get(action="regrade").changes["via"] == "manage.py regrade"


def test_an_assignment_page_names_the_libraries_of_its_environment(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(make_student())
    make_assignment()
    make_assignment(slug="mnist-pytorch", environment="pytorch")
    numpy_page = client.get("/assignments/mnist/").content.decode()
    torch_page = client.get("/assignments/mnist-pytorch/").content.decode()
    assert "<code>numpy</code>" in numpy_page and "<code>torch</code>" not in numpy_page
    assert "<code>torch</code>" in torch_page and "the CPU build" in torch_page


def test_the_pytorch_variant_offers_its_own_template_and_counts_it_unchanged(client, settings, tmp_path):
    from coursework.services import project_files

    settings.MEDIA_ROOT = tmp_path
    client.force_login(make_student())
    assignment = make_assignment(slug="mnist-pytorch", environment="pytorch")
    response = client.get("/assignments/mnist-pytorch/template.ipynb")
    assert response.status_code == 200 and b"torch" in b"".join(response.streaming_content)
    assert project_files.template_for(assignment) == project_files.PYTORCH_TEMPLATE_NOTEBOOK
    assert project_files.is_unchanged_template(project_files.PYTORCH_TEMPLATE_NOTEBOOK.read_bytes(),
                                               project_files.template_for(assignment))


def test_the_demo_course_has_the_pytorch_variant_and_make_run_is_told_to_build_its_environment():
    from io import StringIO

    from django.core.management import call_command

    call_command("seed_demo", stdout=StringIO())
    assert Assignment.objects.get(slug="mnist-pytorch").environment == "pytorch"
    assert Assignment.objects.the(Assignment.NOTEBOOK).slug == "mnist"  # the unit's notebook task is still NumPy's
    out = StringIO()
    call_command("kernel_environments", "--needed", stdout=out)
    assert out.getvalue().split() == ["numpy", "pytorch"]
