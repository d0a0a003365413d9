import pytest

from tests.support.stack import Stack


@pytest.fixture
def stack(tmp_path, redis_target):
    """The real service: migrated fresh database, gunicorn and one Celery worker."""
    running = Stack(tmp_path, redis_target).start()
    yield running
    running.stop()
