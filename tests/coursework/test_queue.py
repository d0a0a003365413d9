"""A pending run's place in the grading queue, its wait and its estimate: counted in SQL
the way the dispatcher sends, so the places shown are the order the runs then go."""
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from coursework import states
from coursework.grading import dispatch, queue, regrade
from coursework.models import Submission
from coursework.services import notebooks
from coursework.states import SubmissionStatus
from coursework.templatetags.coursework_extras import duration
from tests.factories import make_assignment, make_student, make_submission
from tests.support.notebooks import notebook

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.GRADER_DISPATCH_AHEAD = 1
    messages = []
    monkeypatch.setattr(dispatch, "send_grading_task", messages.append)
    assignment = make_assignment()
    assignment.daily_submission_limit = 100
    assignment.save()
    return messages


def upload(student, check=False):
    submit = notebooks.submit_check if check else notebooks.submit_notebook
    return submit(student, make_assignment(), "nb.ipynb", notebook("x = 1")).pk


def places() -> dict[int, int]:
    """Every queued run's place, as its page shows it."""
    queued = Submission.all_runs.filter(status=SubmissionStatus.QUEUED).values_list("pk", flat=True)
    return {pk: queue.ahead_and_running(pk)[0] + 1 for pk in queued}


def run_next(sent) -> int:
    """What one worker does: claim the message sent first, let the claim top the broker up, finish."""
    pk = sent.pop(0)
    attempt = states.claim(pk)
    dispatch.dispatch()
    assert states.finish(pk, attempt, SubmissionStatus.GRADED)
    return pk


def test_the_places_shown_are_the_order_the_runs_then_go(sent, django_capture_on_commit_callbacks):
    busy, second, third = make_student("busy"), make_student("second"), make_student("third")
    ta = User.objects.create(username="ta", is_staff=True)
    failed = [make_submission(make_student(f"f{i}"), status=SubmissionStatus.FAILED) for i in range(3)]
    with django_capture_on_commit_callbacks(execute=True):
        mine = [upload(busy) for _ in range(3)] + [upload(busy, check=True)]
        regrade.regrade([s.pk for s in failed], ta, via="test")
        others = [upload(second), upload(third, check=True)]

    shown = places()
    by_place = sorted(shown, key=shown.get)
    assert sorted(shown.values()) == list(range(1, len(shown) + 1))  # one run per place, no gaps
    order = [run_next(sent) for _ in range(len(shown))]
    assert order == by_place
    assert set(order) == {*mine, *others, *(s.pk for s in failed)}


def test_runs_sent_together_are_shown_in_the_order_they_were_sent_not_by_id(
        sent, settings, django_capture_on_commit_callbacks):
    busy, second = make_student("busy"), make_student("second")
    with django_capture_on_commit_callbacks(execute=True):
        first, busy_second = upload(busy), upload(busy)
        seconds_first = upload(second)  # queued later than busy's second, but its turn is earlier
    assert sent == [first]

    settings.GRADER_DISPATCH_AHEAD = 3  # room for two: one dispatch sends both, in one statement
    dispatch.dispatch()
    assert sent == [first, seconds_first, busy_second]
    assert seconds_first > busy_second  # so an order by id would put them the other way round

    shown = places()
    assert sorted(shown, key=shown.get) == sent
    assert [run_next(sent) for _ in range(len(shown))] == sorted(shown, key=shown.get)


def test_a_place_falls_as_runs_finish_and_grows_when_a_first_run_of_the_hour_arrives(
        sent, django_capture_on_commit_callbacks):
    busy, late = make_student("busy"), make_student("late")
    with django_capture_on_commit_callbacks(execute=True):
        *_, third = upload(busy), upload(busy), upload(busy)
    assert places()[third] == 3

    run_next(sent)
    assert places()[third] == 2
    with django_capture_on_commit_callbacks(execute=True):
        upload(late)  # late's first run goes before busy's third
    assert places()[third] == 3
    run_next(sent)
    run_next(sent)
    assert places()[third] == 1


def test_a_running_run_has_no_place_but_its_time_so_far_and_a_finished_one_has_none(sent,
                                                                                    django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        pk = upload(make_student())
    attempt = states.claim(pk)
    running = queue.place_of(Submission.all_runs.get(pk=pk))
    assert running is not None and not running.queued and running.running == 1
    assert queue.ahead_and_running(pk) is None

    states.finish(pk, attempt, SubmissionStatus.FAILED)
    assert queue.place_of(Submission.all_runs.get(pk=pk)) is None


def test_the_estimate_takes_the_median_of_recent_runs_of_the_task(sent, django_capture_on_commit_callbacks):
    now = timezone.now()
    durations = [40, 10, 25, 3000]  # one outlier: the median ignores it
    for i, seconds in enumerate(durations):
        make_submission(make_student(f"done{i}"), status=SubmissionStatus.GRADED,
                        started_at=now - timedelta(seconds=seconds), finished_at=now)
    other_task = make_assignment("other")
    Submission.objects.create(assignment=other_task, student=make_student("elsewhere"), status="graded",
                              started_at=now - timedelta(hours=5), finished_at=now)
    with django_capture_on_commit_callbacks(execute=True):
        first = upload(make_student("a"))
        mine = upload(make_student("b"), check=True)
    states.claim(first)  # one run in progress, none queued before mine

    place = queue.place_of(Submission.all_runs.get(pk=mine))

    median = sorted(durations)[1:3]
    assert place.queued and place.position == 1 and place.running == 1
    assert place.typical_s == pytest.approx(sum(median) / 2, abs=0.5)
    # The run in progress, then mine: two typical runs.
    assert place.estimate_s == pytest.approx(2 * place.typical_s)


def test_without_finished_runs_there_is_a_place_but_no_estimate(sent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        pk = upload(make_student())
    place = queue.place_of(Submission.all_runs.get(pk=pk))
    assert place.position == 1 and place.typical_s is None and place.estimate_s is None


def test_the_pending_page_shows_the_place_the_wait_and_the_estimate(client, sent, django_capture_on_commit_callbacks):
    now = timezone.now()
    make_submission(make_student("done"), status=SubmissionStatus.GRADED, started_at=now - timedelta(seconds=90),
                    finished_at=now)
    first_student, me = make_student("first"), make_student("me")
    with django_capture_on_commit_callbacks(execute=True):
        upload(first_student)
        upload(first_student)
        pk = upload(me)
    client.force_login(me)

    fragment = client.get(f"/submissions/{pk}/status/").content.decode()

    assert 'data-position="2"' in fragment and "1 run before yours" in fragment
    assert "Waiting for" in fragment and "Recent runs took 1 min 30 s each" in fragment
    assert 'data-pending="true"' in fragment


@pytest.mark.parametrize("seconds, said", [(0, "0 s"), (59.4, "59 s"), (75, "1 min 15 s"), (600, "10 min"),
                                           (754, "12 min"), (3725, "1 h 2 min"), (7200, "2 h")])
def test_a_wait_is_said_as_a_person_says_it(seconds, said):
    assert duration(seconds) == said
