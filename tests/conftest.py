import os
import uuid

import pytest

from tests.support.redis import redis_server


@pytest.fixture(scope="session")
def redis_target(tmp_path_factory):
    """A real Redis: the one in REDIS_URL (CI) under a key prefix of this run's own, else the
    embedded server on a private socket."""
    with redis_server(tmp_path_factory.mktemp("redis")) as target:
        yield target


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """A test database of this run's own: another checkout's tests may use the same
    PostgreSQL at the same time, and pytest-django would otherwise drop theirs."""
    from django.conf import settings

    for db in settings.DATABASES.values():
        if not db["ENGINE"].endswith("sqlite3"):
            db.setdefault("TEST", {})["NAME"] = f"test_{db['NAME']}_{os.getpid()}"


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Tests create many users; the production hasher is slow on purpose."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def private_cache(settings):
    """Each test gets an empty in-process cache, even where the site would share Redis."""
    # A name of its own: locmem caches are shared by name, and an object's id is reused
    # once it is freed, so an id would hand one test the page a previous test cached.
    settings.CACHES = {alias: {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                               "LOCATION": f"test-{alias}-{uuid.uuid4().hex}"} for alias in ("default", "visitor_pages")}


@pytest.fixture(autouse=True)
def no_heartbeat_inside_test_transactions(settings):
    """A job's heartbeat writes from a thread of its own, on its own connection; inside a
    test's wrapping transaction that write would wait for the test's row lock (PostgreSQL)
    or find the table locked (SQLite). Tests of the heartbeat itself set their own period
    and run without the wrapping transaction."""
    settings.GRADER_HEARTBEAT_S = 3600
