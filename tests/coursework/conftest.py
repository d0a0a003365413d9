import pytest

from tests.factories import make_course, make_ta


@pytest.fixture
def course(settings, tmp_path):
    """The unit's content, its three tasks due in a week, the suggested rubrics (a test module may override it)."""
    settings.MEDIA_ROOT = tmp_path
    return make_course()


@pytest.fixture
def ta(client):
    """A TA, logged in on `client`."""
    user = make_ta()
    client.force_login(user)
    return user
