"""The fair grading queue: the database holds the queue, the broker only what workers start next."""
import time
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from kombu.exceptions import OperationalError

from coursework import states, tasks
from coursework.grading import dispatch, regrade
from coursework.models import Submission
from coursework.services import notebooks
from coursework.states import SubmissionStatus
from tests.factories import make_assignment, make_student, make_submission
from tests.support.notebooks import notebook

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = tmp_path / "media"
    messages = []
    monkeypatch.setattr(dispatch, "send_grading_task", messages.append)
    return messages


def upload(student, name="nb.ipynb"):
    assignment = make_assignment()
    assignment.daily_submission_limit = 100
    assignment.save()
    return notebooks.submit_notebook(student, assignment, name, notebook("x = 1")).pk


def claim_and_finish(pk):
    attempt = states.claim(pk)
    assert attempt is not None
    assert states.finish(pk, attempt, SubmissionStatus.GRADED)


def grading_order(sent, settings, queued: int) -> list[int]:
    """Run the queue one slot at a time, as a single worker would: claim what was sent first,
    let the claim top the broker up, finish it, until `queued` rows have run."""
    order = []
    while len(order) < queued:
        pk = sent.pop(0)
        attempt = states.claim(pk)
        dispatch.dispatch()  # what the task does right after its claim
        assert states.finish(pk, attempt, SubmissionStatus.GRADED)
        order.append(pk)
    return order


def test_a_students_second_notebook_waits_behind_every_other_students_first(sent, settings,
                                                                             django_capture_on_commit_callbacks):
    settings.GRADER_DISPATCH_AHEAD = 1
    busy, second, third = make_student("busy"), make_student("second"), make_student("third")
    with django_capture_on_commit_callbacks(execute=True):
        eight = [upload(busy, f"{i}.ipynb") for i in range(8)]
        others = [upload(second), upload(third)]

    assert sent == [eight[0]]  # the broker holds one message; the rest wait in the database
    assert grading_order(sent, settings, 10) == [eight[0], *others, *eight[1:]]


def test_the_broker_never_holds_more_than_the_dispatch_ahead_limit(sent, settings,
                                                                   django_capture_on_commit_callbacks):
    settings.GRADER_DISPATCH_AHEAD = 3
    students = [make_student(f"s{i}") for i in range(6)]
    with django_capture_on_commit_callbacks(execute=True):
        ids = [upload(s) for s in students]
    assert sent == ids[:3]
    assert Submission.objects.filter(states.waiting_in_broker()).count() == 3

    dispatch.dispatch()  # nothing was claimed: no room
    assert sent == ids[:3]

    states.claim(ids[0])  # a worker took one: room for exactly one more
    dispatch.dispatch()
    assert sent == ids[:4]


def test_a_tas_regrade_of_many_notebooks_takes_turns_with_the_students(sent, settings,
                                                                       django_capture_on_commit_callbacks):
    settings.GRADER_DISPATCH_AHEAD = 1
    ta = User.objects.create(username="ta", is_staff=True)
    failed = [make_submission(make_student(f"f{i}"), status=SubmissionStatus.FAILED, message="boom")
              for i in range(20)]
    with django_capture_on_commit_callbacks(execute=True):
        regrade.regrade([s.pk for s in failed], ta, via="test: regrade all failed")
    assert len(sent) == 1
    first_regrade = sent[0]
    late, later = make_student("late"), make_student("later")
    with django_capture_on_commit_callbacks(execute=True):
        fresh = [upload(late), upload(later)]

    order = grading_order(sent, settings, 6)
    # The TA's batch is one requester among the students: after its first notebook the two
    # students' uploads go next, then the batch goes on.
    assert order[:3] == [first_regrade, *fresh]
    assert set(order[3:]) <= {s.pk for s in failed}
    assert Submission.objects.filter(pk__in=[s.pk for s in failed], queued_by=ta).count() == 20


def test_a_message_the_broker_refuses_puts_the_row_back_in_the_queue_in_its_turn(sent, settings, monkeypatch,
                                                                                 django_capture_on_commit_callbacks):
    def broker_down(pk):
        raise OperationalError("Error 111 connecting to redis: Connection refused")

    monkeypatch.setattr(dispatch, "send_grading_task", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        pk = upload(make_student())
    row = Submission.objects.get(pk=pk)
    assert row.status == SubmissionStatus.QUEUED and row.sent_at is None

    monkeypatch.setattr(dispatch, "send_grading_task", sent.append)  # the broker is back
    assert tasks.requeue_stuck() == 0  # nothing was stuck: the sweep's dispatch sends it
    assert sent == [pk] and Submission.objects.get(pk=pk).sent_at is not None


def test_the_sweeper_sends_again_a_row_whose_message_was_lost(sent, settings, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        pk = upload(make_student())
    assert sent == [pk]
    # The broker lost it (a restart without persistence): nobody claimed it for too long.
    Submission.objects.filter(pk=pk).update(sent_at=timezone.now() - timedelta(seconds=settings.GRADER_STUCK_AFTER_S + 5))

    assert tasks.requeue_stuck() == 1
    assert sent == [pk, pk]


def test_a_queued_row_waiting_for_its_turn_is_not_stuck(sent, settings, django_capture_on_commit_callbacks):
    settings.GRADER_DISPATCH_AHEAD = 1
    student = make_student()
    with django_capture_on_commit_callbacks(execute=True):
        first, second = upload(student), upload(student)
    Submission.objects.filter(pk=second).update(created_at=timezone.now() - timedelta(days=1))
    assert tasks.requeue_stuck() == 0
    assert sent == [first]


@pytest.mark.parametrize("skew", [timedelta(minutes=-5), timedelta(minutes=5)])
def test_a_worker_whose_clock_is_five_minutes_off_is_judged_by_the_databases_clock(sent, settings, monkeypatch,
                                                                                  skew):
    pk = make_submission(make_student()).pk
    real_now = timezone.now
    monkeypatch.setattr(timezone, "now", lambda: real_now() + skew)  # this host's clock
    attempt = states.claim(pk)
    assert states.beat(pk, attempt)

    monkeypatch.setattr(timezone, "now", real_now)  # the sweeper's host keeps good time
    assert tasks.requeue_stuck() == 0  # a live worker is not taken for dead...
    Submission.objects.filter(pk=pk).update(heartbeat_at=real_now() - timedelta(seconds=settings.GRADER_STALE_RUNNING_S + 5))
    monkeypatch.setattr(timezone, "now", lambda: real_now() - timedelta(minutes=5))  # ...nor a dead one alive
    assert tasks.requeue_stuck() == 1


@pytest.mark.stack
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_grades_three_students_in_turns_when_one_uploaded_eight(tmp_path, redis_target):
    """The real thing: a Celery worker with one slot, a broker that may hold one message,
    three students, one of whom uploaded eight notebooks before the other two uploaded one."""
    from tests.support.stack import Stack

    stack = Stack(tmp_path, redis_target, GRADER_DISPATCH_AHEAD="1")
    try:
        stack.migrate_and_seed()
        stack.manage("shell", "-c", "from django.contrib.auth.models import User; "
                                    "[User.objects.create_user(n) for n in ('second', 'third')]")
        trivial = notebook("import numpy as np\ndef predict(images):\n    return np.zeros(len(images), dtype=int)")
        eight = stack.submit(8, trivial, username="student")
        others = stack.submit(1, trivial, username="second") + stack.submit(1, trivial, username="third")
        stack.start_worker(concurrency=1)
        ids = eight + others
        deadline = timezone.now() + timedelta(minutes=15)
        while any(s in ("queued", "running") for s in stack.statuses().values()) and timezone.now() < deadline:
            time.sleep(2)
        rows = stack.manage("shell", "-c", "from coursework.models import Submission as S; "
                                           "print(*S.objects.order_by('started_at').values_list('pk', flat=True))")
        order = [int(pk) for pk in rows.strip().splitlines()[-1].split()]
        statuses = stack.statuses()
    finally:
        stack.stop()
    assert all(statuses[pk] == "graded" for pk in ids), statuses
    assert order == [eight[0], *others, *eight[1:]]
