"""Two ways to get the real service (migrated database, gunicorn and one Celery worker):

- `section`: the one stack of this pytest session, shared, with a study group, TAs and a
  student of the test's own (tests/support/course.py). For tests that need only the ordinary
  service and see nothing site-wide: starting a stack takes seconds to a minute on a busy
  machine, and most tests need nothing a shared one lacks.
- `own_stack`: a stack of the test's own, for tests that stop or start its processes, give it
  settings of their own, change something site-wide (an assignment's settings, the demo
  course) or read something site-wide (the leaderboard, every answer to a question, every
  queued run). Tests that need other settings make their own fixture from `Stack`.
"""
import pytest

from tests.support.course import Section
from tests.support.stack import Stack


@pytest.fixture(scope="session")
def shared_stack(tmp_path_factory, redis_target):
    """The session's one ordinary stack. Never use its demo accounts or change the demo course:
    take a `section`, make one (`Section.create`), or sign someone up under a `unique` name."""
    running = Stack(tmp_path_factory.mktemp("shared-stack"), redis_target).start()
    yield running
    running.stop()


@pytest.fixture
def section(shared_stack):
    """This test's own study group (its TA leads it) and student, on the shared stack."""
    return Section.create(shared_stack)


@pytest.fixture
def own_stack(tmp_path, redis_target):
    """A stack of this test's own, with the demo course (seed_demo) and nothing else in it."""
    running = Stack(tmp_path, redis_target).start()
    yield running
    running.stop()
