"""/health/ says whether this web process can serve and hand work on, dependency by dependency."""
import pytest
from celery import current_app

from tests.support.stack import free_port

pytestmark = pytest.mark.django_db


@pytest.fixture
def broker(redis_target):
    """The app's broker pointed at a real Redis, as the service's would be; put back afterwards."""
    before = current_app.conf.broker_url
    current_app.conf.broker_url = redis_target.url
    yield redis_target.url
    current_app.conf.broker_url = before


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def test_every_dependency_answering_is_a_200_that_names_each(client, broker):
    from grader import cgroups

    response = client.get("/health/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "broker": "ok", "media": "ok"},
                               "workers": "unknown", "mnist": "ok", "media_space": "ok",
                               "grading_limits": cgroups.mode().name}
    assert "no-cache" in response["Cache-Control"]


def test_a_broker_that_does_not_answer_is_a_503_naming_it_and_nothing_of_its_address(client):
    port = free_port()  # nobody listens there
    current_app.conf.broker_url, before = f"redis://127.0.0.1:{port}/0", current_app.conf.broker_url
    try:
        response = client.get("/health/")
    finally:
        current_app.conf.broker_url = before
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", "broker": "failing", "media": "ok"}
    assert str(port) not in response.content.decode()


def test_media_that_cannot_take_a_file_is_a_503(client, broker, settings, tmp_path):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the uploads should go")
    settings.MEDIA_ROOT = blocker
    response = client.get("/health/")
    assert response.status_code == 503
    assert response.json()["checks"]["media"] == "failing"


def test_the_probe_leaves_no_file_behind(client, broker, media):
    client.get("/health/")
    assert list(media.iterdir()) == []


def test_a_nearly_full_media_disk_and_a_missing_test_set_are_reported_without_failing_the_web(
        client, broker, settings, tmp_path):
    settings.HEALTH_MIN_FREE_MB = 10**9  # more than any disk has free
    settings.MNIST_DATA_DIR = tmp_path / "no-mnist-here"
    response = client.get("/health/")
    assert response.status_code == 200
    assert response.json()["media_space"].startswith("low (") and response.json()["mnist"] == "unknown"


def test_a_database_that_does_not_answer_is_a_503_not_a_crash(client, broker, monkeypatch):
    from coursework.services import health

    def down():
        raise OSError("connection refused")

    monkeypatch.setitem(health.CHECKS, "database", down)
    monkeypatch.setitem(health.NOTES, "workers", down)  # it reads the database too
    response = client.get("/health/")
    assert response.status_code == 503 and response.json()["checks"]["database"] == "failing"
    assert response.json()["workers"] == "unknown"


def test_silent_workers_are_reported_without_failing_the_web(client, broker):
    from datetime import timedelta

    from django.utils import timezone

    from coursework.models import Heartbeat

    Heartbeat.objects.create(name="sweep", seen_at=timezone.now() - timedelta(minutes=10))
    response = client.get("/health/")
    assert response.status_code == 200 and response.json()["workers"] == "silent"
    Heartbeat.objects.filter(name="sweep").update(seen_at=timezone.now())
    assert client.get("/health/").json()["workers"] == "ok"


def test_liveness_asks_nothing_of_the_dependencies(client, settings, tmp_path):
    settings.MNIST_DATA_DIR = tmp_path / "no-mnist-here"
    response = client.get("/health/live/")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_it_says_how_this_host_bounds_a_grading_jobs_memory(client, broker, monkeypatch):
    from grader import cgroups

    monkeypatch.setattr(cgroups, "mode", lambda: cgroups.Mode(None, "GRADER_CGROUP=off"))
    assert client.get("/health/").json()["grading_limits"].startswith("watchdog and rlimits only")
