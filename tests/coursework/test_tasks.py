import json
import threading
import time
from datetime import timedelta
from pathlib import Path

import nbformat
import pytest
from django.db import OperationalError, connection
from django.utils import timezone

from coursework import states, tasks
from coursework.grading import conditions, dispatch, job, regrade, store
from coursework.models import Submission
from coursework.services import pages
from coursework.states import RenderStatus, SubmissionStatus
from grader.errors import SystemFault
from grader.result import Feedback, GradeResult, Scores
from tests.factories import make_student, make_submission
from tests.support.notebooks import notebook

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    return make_submission(make_student(), notebook("def predict(images):\n    return [3] * len(images)"))


def test_the_name_the_service_sends_is_the_tasks_name():
    assert dispatch.GRADE_TASK == tasks.grade_submission.name


def test_a_queued_row_is_claimed_once_only(queued):
    assert states.claim(queued.pk) == 1
    assert states.claim(queued.pk) is None
    queued.refresh_from_db()
    assert queued.status == SubmissionStatus.RUNNING and queued.attempts == 1


def test_the_task_grades_a_queued_submission_and_a_second_delivery_does_nothing(queued):
    assert tasks.grade_submission.apply(args=[queued.pk]).get() == "graded"
    queued.refresh_from_db()
    assert queued.status == SubmissionStatus.GRADED
    assert queued.accuracy == pytest.approx(0.1010)  # digit 3 is 1010 of the 10,000 test images
    assert queued.score == pytest.approx((0.1010 - 0.10) / 0.80)  # barely above chance: barely any credit
    assert queued.confusion_png and queued.gallery_png and queued.executed_html
    finished_at = queued.finished_at

    assert tasks.grade_submission.apply(args=[queued.pk]).get().startswith("not claimed")
    queued.refresh_from_db()
    assert queued.attempts == 1 and queued.finished_at == finished_at


def test_a_stale_attempt_cannot_overwrite_a_newer_one(queued):
    first = states.claim(queued.pk)
    Submission.objects.filter(pk=queued.pk).update(status=SubmissionStatus.QUEUED)  # as the sweeper would
    second = states.claim(queued.pk)
    assert not states.finish(queued.pk, first, SubmissionStatus.GRADED)
    assert states.finish(queued.pk, second, SubmissionStatus.GRADED)


def test_a_run_cannot_end_as_queued_or_running(queued):
    attempt = states.claim(queued.pk)
    for status in (SubmissionStatus.QUEUED, SubmissionStatus.RUNNING):
        with pytest.raises(states.InvalidMove):
            states.finish(queued.pk, attempt, status)


def test_the_sweeper_requeues_a_running_row_whose_worker_went_silent(queued, monkeypatch):
    sent = []
    monkeypatch.setattr(dispatch, "send_grading_task", sent.append)
    states.claim(queued.pk)
    Submission.objects.filter(pk=queued.pk).update(heartbeat_at=timezone.now() - timedelta(minutes=5))

    assert tasks.requeue_stuck() == 1

    queued.refresh_from_db()
    assert queued.status == SubmissionStatus.QUEUED and sent == [queued.pk]


def test_the_sweeper_leaves_a_live_running_row_alone(queued, monkeypatch):
    monkeypatch.setattr(dispatch, "send_grading_task", lambda pk: pytest.fail("must not requeue"))
    states.claim(queued.pk)
    assert tasks.requeue_stuck() == 0


def test_a_notebook_whose_runs_never_finish_ends_as_error_after_the_allowed_attempts(queued, settings, monkeypatch):
    """As when a notebook kills its worker every time: claimed, silent, requeued by the sweeper..."""
    settings.GRADER_MAX_ATTEMPTS = 3
    monkeypatch.setattr(dispatch, "send_grading_task", lambda pk: None)
    for _ in range(3):
        assert states.claim(queued.pk) is not None
        Submission.objects.filter(pk=queued.pk).update(heartbeat_at=timezone.now() - timedelta(minutes=5))
        assert tasks.requeue_stuck() == 1
    assert tasks.grade_submission.apply(args=[queued.pk]).get().startswith("not claimed")
    queued.refresh_from_db()
    assert queued.status == SubmissionStatus.ERROR and queued.attempts == 3
    assert "does not count against your uploads" in queued.message
    assert tasks.requeue_stuck() == 0  # and it stays out of the loop


def test_a_regrade_gives_a_notebook_that_ran_out_of_attempts_fresh_ones(queued, settings, monkeypatch):
    settings.GRADER_MAX_ATTEMPTS = 1
    monkeypatch.setattr(dispatch, "send_grading_task", lambda pk: None)
    states.claim(queued.pk)
    Submission.objects.filter(pk=queued.pk).update(status=SubmissionStatus.QUEUED)
    assert states.claim(queued.pk) is None
    regrade.regrade([queued.pk], None, via="test")
    assert states.claim(queued.pk) == 2  # a new attempt number, so the old run can never write


@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_beats_for_the_whole_job_not_only_while_the_notebook_runs(queued, settings):
    attempt = states.claim(queued.pk)
    Submission.objects.filter(pk=queued.pk).update(heartbeat_at=timezone.now() - timedelta(minutes=5))
    before = Submission.objects.get(pk=queued.pk).heartbeat_at
    with tasks.Heartbeat(queued.pk, attempt, every_s=0.05):
        deadline = time.monotonic() + 10
        while Submission.objects.get(pk=queued.pk).heartbeat_at == before and time.monotonic() < deadline:
            time.sleep(0.05)  # the job's own thread is busy with something else
    assert Submission.objects.get(pk=queued.pk).heartbeat_at > before
    assert not any(t.name.startswith("heartbeat-") for t in threading.enumerate())


def _drop_this_threads_connection_the_first_time(call):
    """`call`, after the database has dropped this thread's connection once (as a restart does):
    the raw connection is closed under Django, which does not notice until it is used. Only a
    database server drops connections (CI runs these on PostgreSQL)."""
    if connection.vendor != "postgresql":
        pytest.skip("only a database server drops a connection (set DATABASE_URL to run this)")
    dropped = []

    def wrapped(*args, **kwargs):
        if not dropped:
            connection.ensure_connection()
            connection.connection.close()
            dropped.append(True)
        return call(*args, **kwargs)
    return wrapped


@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_beats_again_on_a_new_connection_after_the_database_dropped_its_own(queued, monkeypatch):
    attempt = states.claim(queued.pk)
    monkeypatch.setattr(states, "beat", _drop_this_threads_connection_the_first_time(states.beat))
    Submission.objects.filter(pk=queued.pk).update(heartbeat_at=timezone.now() - timedelta(minutes=5))
    before = Submission.objects.get(pk=queued.pk).heartbeat_at
    with tasks.Heartbeat(queued.pk, attempt, every_s=0.05):
        deadline = time.monotonic() + 10
        while Submission.objects.get(pk=queued.pk).heartbeat_at == before and time.monotonic() < deadline:
            time.sleep(0.05)
    assert Submission.objects.get(pk=queued.pk).heartbeat_at > before


def _result(status="failed", message="Cell 2 raised ValueError"):
    return GradeResult(status=status, message=message, html=b"<html>the executed notebook</html>")


def _media_files(settings) -> list[Path]:
    return [p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file() and p.suffix == ".html"]


@pytest.mark.django_db(transaction=True)
def test_a_result_is_stored_on_a_new_connection_when_the_database_dropped_the_workers(queued, monkeypatch, settings):
    """A database restart while the notebook ran: the finished run is stored, not thrown away."""
    monkeypatch.setattr(store, "DATABASE_RETRY_PAUSES_S", (0, 0))
    attempt = states.claim(queued.pk)
    monkeypatch.setattr(store, "_write_result", _drop_this_threads_connection_the_first_time(store._write_result))

    assert store.record_result(queued.pk, attempt, _result())

    queued.refresh_from_db()
    assert queued.status == SubmissionStatus.FAILED and queued.message == "Cell 2 raised ValueError"
    assert [p.name for p in _media_files(settings)] == [Path(queued.executed_html.name).name]


@pytest.mark.django_db(transaction=True)
def test_a_result_whose_commit_landed_before_the_connection_dropped_is_kept_not_undone(queued, monkeypatch,
                                                                                        settings):
    monkeypatch.setattr(store, "DATABASE_RETRY_PAUSES_S", (0, 0))
    attempt = states.claim(queued.pk)
    write = store._write_result

    def committed_then_dropped(*args):
        write(*args)
        raise OperationalError("server closed the connection unexpectedly")
    monkeypatch.setattr(store, "_write_result", committed_then_dropped)

    assert store.record_result(queued.pk, attempt, _result())

    queued.refresh_from_db()
    assert queued.status == SubmissionStatus.FAILED
    with queued.executed_html.open("rb") as page:  # the file the row names is still there
        assert page.read() == b"<html>the executed notebook</html>"


@pytest.mark.django_db(transaction=True)
def test_a_database_that_never_comes_back_is_a_system_fault_and_the_files_stay_for_a_commit_that_may_have_landed(
        queued, monkeypatch, settings):
    monkeypatch.setattr(store, "DATABASE_RETRY_PAUSES_S", (0, 0))
    attempt = states.claim(queued.pk)
    write = store._write_result
    tries = []

    def committed_then_unreachable(*args):  # the first try commits but its answer is lost
        tries.append(1)
        if len(tries) == 1:
            write(*args)
        raise OperationalError("connection refused")
    monkeypatch.setattr(store, "_write_result", committed_then_unreachable)
    monkeypatch.setattr(store, "_holds_result", lambda *args: _raise(OperationalError("connection refused")))

    with pytest.raises(OperationalError):  # the task retries the job (TRANSIENT)
        store.record_result(queued.pk, attempt, _result())
    assert issubclass(OperationalError, tasks.TRANSIENT)
    queued.refresh_from_db()
    with queued.executed_html.open("rb") as page:  # the row names its page, and the page is there
        assert page.read() == b"<html>the executed notebook</html>"


def test_a_result_that_fails_to_store_for_a_bug_leaves_no_files(queued, monkeypatch, settings):
    attempt = states.claim(queued.pk)
    monkeypatch.setattr(store, "_write_result", lambda *args: _raise(KeyError("model_id")))
    with pytest.raises(KeyError):
        store.record_result(queued.pk, attempt, _result())
    assert _media_files(settings) == []


def _raise(exc):
    raise exc


def test_a_bug_while_storing_a_result_ends_the_row_as_error_and_the_worker_goes_on(queued, monkeypatch):
    def broken(*args, **kwargs):
        raise KeyError("model_id")

    monkeypatch.setattr(job, "record_result", broken)
    assert tasks.grade_submission.apply(args=[queued.pk]).get() == SubmissionStatus.ERROR
    queued.refresh_from_db()
    assert queued.status == SubmissionStatus.ERROR and "KeyError: 'model_id'" in queued.log_tail


def test_a_missing_kernel_environment_is_a_system_error_not_the_students(queued, settings):
    settings.GRADER_KERNEL_VENV = "/nonexistent/venv"
    settings.GRADER_MAX_ATTEMPTS = tasks.MAX_SYSTEM_RETRIES + 1
    # apply() runs retries inline; after the last one the row shows the system error.
    tasks.grade_submission.apply(args=[queued.pk], retries=tasks.MAX_SYSTEM_RETRIES)
    queued.refresh_from_db()
    assert queued.status == SubmissionStatus.ERROR
    assert "not your notebook" in queued.message
    assert "make kernel-venv" in queued.log_tail  # the cause is kept for TAs


def test_a_run_the_host_starved_is_requeued_without_using_an_attempt_and_ends_for_staff_saying_the_host_was_busy(
        queued, settings, monkeypatch):
    from grader.errors import HostBusy

    settings.GRADER_MAX_ATTEMPTS = 1  # without the refund the first retry could not even be claimed
    runs = []

    def starved(*args, **kwargs):
        runs.append(1)
        raise HostBusy("the host was busy: a cell reached the wall-clock backstop after 1800 s with 2.0 s charged")

    monkeypatch.setattr(job, "grade_notebook_bytes", starved)
    # apply() runs retries inline; after the last one the row shows the host's condition.
    assert tasks.grade_submission.apply(args=[queued.pk]).get() == SubmissionStatus.ERROR
    queued.refresh_from_db()
    assert len(runs) == tasks.MAX_SYSTEM_RETRIES + 1 and queued.attempts == len(runs)
    assert queued.status == SubmissionStatus.ERROR and queued.message == store.HOST_BUSY_MESSAGE
    assert "busy" in queued.message and "not count against your uploads" in queued.message
    assert "HostBusy" in queued.log_tail  # the figures are kept for staff


WIDGET_VIEW = "from IPython.display import display\ndisplay({'application/vnd.jupyter.widget-view+json': {}}, raw=True)"
THREES = "def predict(images):\n    return [3] * len(images)"
CANNOT_DISPLAY = "Cell 1 has an output the grader cannot display: a widget view without a model_id."


def test_a_notebook_the_grader_cannot_display_is_graded_and_drawing_its_page_again_records_why(tmp_path, settings):
    """A widget view without model_id made nbconvert raise while the worker stored the
    result, so the row stayed running and the sweeper requeued it forever; then it failed
    the run. Now the grade stands, and the page drawn again names the cell it cannot show."""
    settings.MEDIA_ROOT = tmp_path / "media"
    submission = make_submission(make_student(), notebook(WIDGET_VIEW, THREES))
    submission.assignment.limits = {"render_timeout_s": 240}  # time enough on a busy host: the cell is at fault
    submission.assignment.save()

    assert tasks.grade_submission.apply(args=[submission.pk]).get() == "graded"

    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.GRADED and submission.accuracy == pytest.approx(0.1010)
    assert submission.render_status == RenderStatus.PENDING and submission.render_problem == CANNOT_DISPLAY
    assert submission.executed_notebook  # what the page is drawn again from

    assert tasks.render_page_again.apply(args=[submission.pk]).get() == RenderStatus.FAILED  # another try would too

    submission.refresh_from_db()
    assert submission.render_status == RenderStatus.FAILED and submission.render_problem == CANNOT_DISPLAY
    assert submission.render_attempts == 1 and submission.accuracy == pytest.approx(0.1010)
    with submission.executed_html.open("rb") as page:
        assert b"this cell cannot be displayed" in page.read()  # the rest of the notebook shows
    assert tasks.render_page_again.apply(args=[submission.pk]).get().startswith("not claimed")


def test_a_page_too_slow_for_the_runs_budget_is_graded_announced_and_drawn_whole_later(tmp_path, settings, client):
    settings.MEDIA_ROOT = tmp_path / "media"
    nb = nbformat.reads(notebook(THREES).decode(), as_version=4)
    # Markdown whose rendering grows with the square of its length: 5,000 brackets took 0.19 s on a quiet
    # machine (so the page sometimes fit the 1 s budget), 20,000 took 1.8 s; 30,000 is past it on any host.
    nb.cells.insert(0, nbformat.v4.new_markdown_cell("[" * 30_000))
    submission = make_submission(make_student(), nbformat.writes(nb).encode())
    # The sandbox runs at nice 19: on a host busy with other work the page may take minutes.
    submission.assignment.limits = {"render_timeout_s": 1, "rerender_timeout_s": 600}
    submission.assignment.save()

    assert tasks.grade_submission.apply(args=[submission.pk]).get() == "graded"

    submission.refresh_from_db()
    assert submission.accuracy == pytest.approx(0.1010) and submission.render_status == RenderStatus.PENDING
    assert "could not be displayed: showing it took longer than" in submission.render_problem
    client.force_login(submission.student)
    assert "Your executed notebook will appear here." in client.get(f"/submissions/{submission.pk}/").content.decode()

    assert tasks.render_page_again.apply(args=[submission.pk]).get() == RenderStatus.DONE

    submission.refresh_from_db()
    assert submission.render_status == RenderStatus.DONE and submission.render_problem == ""
    with submission.executed_html.open("rb") as page:
        html = page.read()
    assert b"[[[[" in html and b"cannot be displayed" not in html
    stored = submission.executed_html.name
    assert tasks.render_page_again.apply(args=[submission.pk]).get().startswith("not claimed")  # twice: no harm
    submission.refresh_from_db()
    assert submission.executed_html.name == stored and submission.render_attempts == 1
    page = client.get(f"/submissions/{submission.pk}/").content.decode()
    assert 'id="page-pending"' not in page and '<iframe class="notebook"' in page


# --- drawing a page again: the moves, without the sandbox ----------------------------------

TIMED_OUT = "Cell 3 could not be displayed: showing it took longer than 45 seconds, the time allowed for turning the " \
            "executed notebook into a page."


@pytest.fixture
def owed(queued):
    """A graded row whose page could not be drawn in time."""
    attempt = states.claim(queued.pk)
    assert states.finish(queued.pk, attempt, SubmissionStatus.GRADED, page_problem=TIMED_OUT)
    queued.refresh_from_db()
    return queued


def test_a_graded_run_whose_page_is_missing_owes_it_and_a_failed_run_never_does(queued, owed):
    assert owed.render_status == RenderStatus.PENDING and owed.render_problem == TIMED_OUT
    other = make_submission(make_student("bob"))
    attempt = states.claim(other.pk)
    with pytest.raises(states.InvalidMove):
        states.finish(other.pk, attempt, SubmissionStatus.FAILED, page_problem=TIMED_OUT)


def test_a_pending_page_is_claimed_once_only(owed):
    assert states.claim_render(owed.pk) == (1, 1)
    assert states.claim_render(owed.pk) is None
    owed.refresh_from_db()
    assert owed.render_status == RenderStatus.RENDERING and owed.render_attempts == 1


def test_a_stale_try_cannot_overwrite_a_newer_one_nor_a_regraded_row(owed):
    attempt, first = states.claim_render(owed.pk)
    Submission.objects.filter(pk=owed.pk).update(render_status=RenderStatus.PENDING)  # as the sweeper would
    _, second = states.claim_render(owed.pk)
    assert not states.finish_render(owed.pk, attempt, first, RenderStatus.DONE)
    regrade.regrade([owed.pk], None, via="test")
    assert not states.finish_render(owed.pk, attempt, second, RenderStatus.DONE)
    owed.refresh_from_db()
    assert owed.status == SubmissionStatus.QUEUED and owed.render_status == RenderStatus.DONE
    assert owed.render_problem == "" and not owed.executed_notebook


def test_a_try_that_ran_out_of_time_waits_and_the_last_one_allowed_ends_failed_with_its_reason(owed, settings):
    settings.GRADER_RENDER_MAX_ATTEMPTS = 2
    attempt, render_attempt = states.claim_render(owed.pk)
    assert states.finish_render(owed.pk, attempt, render_attempt, RenderStatus.PENDING, "Cell 3 ... 300 seconds")
    owed.refresh_from_db()
    assert owed.render_status == RenderStatus.PENDING and owed.render_next_try_at > timezone.now()
    assert tasks.send_due_pages() == 0  # not before its pause is over
    attempt, render_attempt = states.claim_render(owed.pk)
    assert states.finish_render(owed.pk, attempt, render_attempt, RenderStatus.PENDING, "Cell 3 ... 300 seconds")
    owed.refresh_from_db()
    assert owed.render_status == RenderStatus.FAILED and owed.render_problem == "Cell 3 ... 300 seconds"


def test_a_page_whose_workers_died_every_time_ends_failed_after_the_allowed_tries(owed, settings, monkeypatch):
    settings.GRADER_RENDER_MAX_ATTEMPTS = 2
    monkeypatch.setattr(pages, "enqueue", lambda pk: True)
    for _ in range(2):
        assert states.claim_render(owed.pk) is not None
        Submission.objects.filter(pk=owed.pk).update(render_heartbeat_at=timezone.now() - timedelta(minutes=5))
        assert tasks.send_due_pages() == 1
    assert tasks.render_page_again.apply(args=[owed.pk]).get().startswith("not claimed")
    owed.refresh_from_db()
    assert owed.render_status == RenderStatus.FAILED and owed.render_problem == TIMED_OUT
    assert tasks.send_due_pages() == 0  # and it stays out of the loop


def test_the_sweeper_sends_a_page_whose_worker_went_silent_once_per_pause(owed, monkeypatch):
    sent = []
    monkeypatch.setattr(pages, "enqueue", lambda pk: sent.append(pk) or True)
    states.claim_render(owed.pk)
    assert tasks.send_due_pages() == 0  # its worker is alive
    Submission.objects.filter(pk=owed.pk).update(render_heartbeat_at=timezone.now() - timedelta(minutes=5))
    assert tasks.send_due_pages() == 1 and tasks.send_due_pages() == 0
    owed.refresh_from_db()
    assert owed.render_status == RenderStatus.PENDING and sent == [owed.pk]


def test_the_sweeper_sends_a_page_whose_message_was_lost(owed, monkeypatch):
    sent = []
    monkeypatch.setattr(pages, "enqueue", lambda pk: sent.append(pk) or True)
    assert tasks.send_due_pages() == 0  # the message sent on commit has its pause to arrive
    Submission.objects.filter(pk=owed.pk).update(render_next_try_at=timezone.now() - timedelta(seconds=1))
    assert tasks.send_due_pages() == 1 and sent == [owed.pk]


def test_a_try_that_fails_for_a_fault_of_ours_keeps_the_reason_and_counts(owed, monkeypatch):
    def broken(*args):
        raise SystemFault("the sandbox is unusable")
    monkeypatch.setattr(pages, "draw_again", broken)
    assert tasks.render_page_again.apply(args=[owed.pk]).get() == "failed this time; the sweeper tries again"
    owed.refresh_from_db()
    assert owed.render_status == RenderStatus.PENDING and owed.render_problem == TIMED_OUT
    assert owed.render_attempts == 1 and owed.status == SubmissionStatus.GRADED


def test_a_stored_result_whose_page_is_owed_sends_the_task_on_commit(tmp_path, settings, monkeypatch,
                                                                     django_capture_on_commit_callbacks):
    settings.MEDIA_ROOT = tmp_path / "media"
    sent = []
    monkeypatch.setattr(pages, "enqueue", sent.append)
    check = make_submission(make_student(), notebook(THREES), purpose="check")  # no pictures to draw
    attempt = states.claim(check.pk)
    result = GradeResult(status="graded", message="The check passed", html=None, notebook='{"cells":[]}',
                         render={"problem": "timeout", "cell": 2, "allowed_s": 45})
    with django_capture_on_commit_callbacks(execute=True):
        assert store.record_result(check.pk, attempt, result)
        assert sent == []  # not before the row that names the page is committed
    assert sent == [check.pk]
    check.refresh_from_db()
    assert check.status == SubmissionStatus.GRADED and check.render_status == RenderStatus.PENDING
    assert check.render_problem == TIMED_OUT
    with check.executed_notebook.open("rb") as fh:
        assert fh.read() == b'{"cells":[]}'


# --- the score first, the page after it ---------------------------------------------------

# Markdown whose rendering grows with the square of its length (see above): past a 1 s budget
# on any host, and seconds of drawing with a generous one.
SLOW_TO_DRAW = "[" * 30_000


def _slow_page_submission(**limits):
    nb = nbformat.reads(notebook(THREES).decode(), as_version=4)
    nb.cells.insert(0, nbformat.v4.new_markdown_cell(SLOW_TO_DRAW))
    submission = make_submission(make_student(), nbformat.writes(nb).encode())
    submission.assignment.limits = limits
    submission.assignment.save()
    return submission


def _renderer_running() -> bool:
    from tests.support.processes import sandbox_processes

    for pid in sandbox_processes():
        try:
            if b"render_notebook.py" in Path(f"/proc/{pid}/cmdline").read_bytes():
                return True
        except OSError:
            pass
    return False


def _as_another_process_sees_it(pk: int) -> dict:
    """The row as the web sees it: read on a connection of its own (committed rows only)."""
    seen = {}

    def read():
        try:
            seen.update(Submission.all_runs.values("status", "accuracy", "render_status", "render_problem",
                                                   "executed_html").get(pk=pk))
        finally:
            connection.close()

    thread = threading.Thread(target=read)
    thread.start()
    thread.join()
    return seen


@pytest.mark.django_db(transaction=True)
def test_the_score_is_stored_and_told_while_the_page_is_still_being_drawn(tmp_path, settings, monkeypatch, client):
    settings.MEDIA_ROOT = tmp_path / "media"
    # The sandbox runs at nice 19: on a host busy with other work the page may take minutes.
    submission = _slow_page_submission(render_timeout_s=600)
    seen = []
    record = store.record_result

    def record_and_look(submission_id, attempt, result, page_coming=False):
        stored = record(submission_id, attempt, result, page_coming=page_coming)
        row = _as_another_process_sees_it(submission_id)
        # The renderer starts once the harness has sent the result: wait for it (at most a minute).
        waited = time.monotonic()
        while not _renderer_running() and time.monotonic() - waited < 60:
            time.sleep(0.02)
        seen.append({"row": row, "renderer_running": _renderer_running(), "page_coming": page_coming,
                     "page": client.get(f"/submissions/{submission_id}/").content.decode(),
                     "status_box": client.get(f"/submissions/{submission_id}/status/").content.decode()})
        return stored

    monkeypatch.setattr(job, "record_result", record_and_look)
    client.force_login(submission.student)

    assert tasks.grade_submission.apply(args=[submission.pk]).get() == "graded"

    [early] = seen
    assert early["page_coming"] and early["renderer_running"]
    assert early["row"]["status"] == SubmissionStatus.GRADED and early["row"]["accuracy"] == pytest.approx(0.1010)
    assert early["row"]["render_status"] == RenderStatus.PENDING and not early["row"]["executed_html"]
    assert "The executed notebook is being prepared" in early["page"] and "accuracy-value" in early["page"]
    assert 'data-pending="true"' in early["status_box"]  # it keeps polling, and reloads when the page is there
    assert submission.student.notifications.count() == 1  # told with the score, once

    submission.refresh_from_db()
    assert submission.render_status == RenderStatus.DONE and submission.render_problem == ""
    assert submission.accuracy == pytest.approx(0.1010) and not submission.executed_notebook
    with submission.executed_html.open("rb") as page:
        assert b"[[[[" in page.read()
    assert 'data-pending="false"' in client.get(f"/submissions/{submission.pk}/status/").content.decode()
    assert tasks.grade_submission.apply(args=[submission.pk]).get().startswith("not claimed")  # twice: no harm
    assert submission.student.notifications.count() == 1


def test_a_page_that_runs_out_of_time_after_the_score_leaves_the_grade_as_stored(tmp_path, settings, monkeypatch):
    settings.MEDIA_ROOT = tmp_path / "media"
    sent = []
    monkeypatch.setattr(pages, "enqueue", lambda pk: sent.append(pk) or True)
    submission = _slow_page_submission(render_timeout_s=1)
    stored = []
    record = store.record_result

    def record_and_keep(submission_id, attempt, result, page_coming=False):
        updated = record(submission_id, attempt, result, page_coming=page_coming)
        stored.append(Submission.all_runs.values("status", "accuracy", "score", "message", "finished_at",
                                                 "feedback").get(pk=submission_id))
        return updated

    monkeypatch.setattr(job, "record_result", record_and_keep)

    assert tasks.grade_submission.apply(args=[submission.pk]).get() == "graded"

    [early] = stored
    assert Submission.all_runs.values("status", "accuracy", "score", "message", "finished_at",
                                      "feedback").get(pk=submission.pk) == early
    submission.refresh_from_db()
    assert submission.render_status == RenderStatus.PENDING and sent == [submission.pk]  # drawn again, now
    assert "could not be displayed: showing it took longer than" in submission.render_problem
    assert submission.executed_notebook  # what it is drawn from


def _scored_with_page_coming(submission, **result) -> int:
    attempt = states.claim(submission.pk)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])
    nb.metadata["language_info"] = {"name": "python"}
    # As the harness stores it: compact JSON, each source one string.
    result = GradeResult(status="graded", message="The check passed", notebook=json.dumps(nb), **result)
    assert store.record_result(submission.pk, attempt, result, page_coming=True)
    return attempt


def test_a_page_lost_with_its_worker_after_the_score_is_drawn_by_the_sweeper_once_due(tmp_path, settings,
                                                                                      monkeypatch):
    settings.MEDIA_ROOT = tmp_path / "media"
    sent = []
    monkeypatch.setattr(pages, "enqueue", lambda pk: sent.append(pk) or True)
    check = make_submission(make_student(), notebook(THREES))
    scores = Scores(confusion=[[100] * 10] * 10, misclassified=[{"index": 0, "true": 7, "predicted": 1}])
    # ... and the worker died before it stored the pictures and the page.
    _scored_with_page_coming(check, accuracy=0.1, feedback=Feedback(scores=scores))

    assert sent == [] and tasks.send_due_pages() == 0  # the run may still be drawing it
    check.refresh_from_db()
    assert check.render_status == RenderStatus.PENDING and check.executed_notebook
    Submission.all_runs.filter(pk=check.pk).update(render_next_try_at=timezone.now() - timedelta(seconds=1))
    assert tasks.send_due_pages() == 1 and sent == [check.pk]

    assert not check.confusion_png
    assert tasks.render_page_again.apply(args=[check.pk]).get() == RenderStatus.DONE
    check.refresh_from_db()
    assert check.status == SubmissionStatus.GRADED and check.executed_html
    assert check.confusion_png and check.gallery_png  # drawn with the page, from the feedback stored with the score


def test_a_runs_page_is_stored_once_and_never_over_a_regrade_or_the_sweepers_try(queued, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    check = make_submission(make_student("carol"), notebook(THREES), purpose="check")
    attempt = _scored_with_page_coming(check)
    page = GradeResult(status="graded", message="", html=b"<html>page</html>", render={"problem": None})
    limits = conditions.limits_for(check.assignment)

    assert pages.store_run_page(check.pk, attempt, page, limits)
    assert not pages.store_run_page(check.pk, attempt, page, limits)  # twice: the first stands
    check.refresh_from_db()
    assert check.render_status == RenderStatus.DONE and not check.executed_notebook

    other = make_submission(make_student("dave"), notebook(THREES), purpose="check")
    attempt = _scored_with_page_coming(other)
    assert states.claim_render(other.pk) is not None  # the sweeper's try took it (the worker looked dead)
    assert not pages.store_run_page(other.pk, attempt, page, limits)
    other.refresh_from_db()
    assert other.render_status == RenderStatus.RENDERING and not other.executed_html


def test_a_worker_process_loads_what_every_grade_reads_as_it_starts_not_at_its_first_score():
    from celery.signals import worker_process_init

    from grader import data

    once_per_process = (data.test_set, data.nearest_mean_accuracy)
    for cached in once_per_process:
        cached.cache_clear()
    assert tasks.warm_for_grading in [receiver() for _, receiver in worker_process_init.receivers]
    tasks.warm_grading()
    assert [cached.cache_info().currsize for cached in once_per_process] == [1, 1]
