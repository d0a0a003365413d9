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
    response = client.get("/health/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "broker": "ok", "media": "ok"}}
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
