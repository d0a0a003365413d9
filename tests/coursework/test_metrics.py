"""/metrics: what waits and how runs ended, read from the database, for this host or a token."""
from datetime import timedelta

import pytest
from django.utils import timezone

from coursework.models import Submission
from coursework.states import SubmissionStatus
from tests.factories import make_assignment, make_student, make_submission

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def scrape(client, **extra) -> dict[str, float]:
    response = client.get("/metrics", **extra)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain")
    figures = {}
    for line in response.content.decode().splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            figures[name] = float(value)
    return figures


def test_the_queue_its_oldest_row_and_the_last_hours_endings_are_counted(client):
    make_assignment()
    ada = make_student("ada")
    waiting = make_submission(ada, status=SubmissionStatus.QUEUED)
    Submission.objects.filter(pk=waiting.pk).update(created_at=timezone.now() - timedelta(minutes=10))
    make_submission(ada, status=SubmissionStatus.QUEUED)
    for took in (2.0, 4.0, 30.0):
        make_submission(ada, status=SubmissionStatus.GRADED, accuracy=0.9, run_seconds=took,
                        finished_at=timezone.now())
    make_submission(ada, status=SubmissionStatus.FAILED, run_seconds=1.0, finished_at=timezone.now(),
                    feedback={"failure": {"mistake": {"key": "memory"}}})
    make_submission(ada, status=SubmissionStatus.FAILED, run_seconds=1.0, finished_at=timezone.now() - timedelta(hours=2),
                    feedback={"failure": {"mistake": {"key": "timeout"}}})

    figures = scrape(client)

    assert figures['coursework_runs{purpose="graded",status="queued"}'] == 2
    assert figures['coursework_runs{purpose="graded",status="graded"}'] == 3
    assert 590 < figures['coursework_oldest_waiting_seconds{phase="queued"}'] < 900
    assert figures['coursework_oldest_waiting_seconds{phase="running"}'] == 0
    assert figures['coursework_runs_finished_last_hour{status="graded"}'] == 3
    assert figures['coursework_runs_finished_last_hour{status="failed"}'] == 1  # the older one is outside the hour
    assert figures['coursework_run_seconds_last_hour{quantile="0.5",status="graded"}'] == 4.0
    assert figures['coursework_run_seconds_last_hour{quantile="1.0",status="graded"}'] == 30.0
    assert figures['coursework_failures_last_hour{mistake="memory"}'] == 1
    assert 'coursework_failures_last_hour{mistake="timeout"}' not in figures
    assert figures['coursework_waiting_for_ta{queue="notebooks"}'] == 2


def test_another_host_is_refused_without_the_token_and_let_in_with_it(client, settings):
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9").status_code == 403
    settings.METRICS_TOKEN = "a-long-scrape-token"
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 403  # with a token, the token it is
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    scrape(client, REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION="Bearer a-long-scrape-token")


def test_the_email_outbox_and_the_sweeps_heartbeat_are_reported(client):
    from coursework import tasks
    from coursework.models import Heartbeat, Notification
    from coursework.states import EmailStatus

    ada = make_student("ada")
    for i, state in enumerate([EmailStatus.PENDING, EmailStatus.FAILED, EmailStatus.FAILED]):
        Notification.objects.create(recipient=ada, kind="graded", event_key=f"e{i}", title="t", email_status=state)
    assert not any(name.startswith("coursework_heartbeat") for name in scrape(client))  # no sweep has run yet
    tasks.requeue_stuck.apply()
    Heartbeat.objects.filter(name="sweep").update(seen_at=timezone.now() - timedelta(minutes=5))

    figures = scrape(client)

    assert figures['coursework_emails{state="failed"}'] == 2 and figures['coursework_emails{state="sent"}'] == 0
    assert 295 < figures['coursework_heartbeat_age_seconds{name="sweep"}'] < 600
