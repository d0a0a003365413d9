import pytest

from tests.support.redis import redis_server


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    """A real Redis: the one in REDIS_URL (CI), else the embedded server on a private socket."""
    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Tests create many users; the production hasher is slow on purpose."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def private_cache(settings):
    """Each test gets an empty in-process cache, even where the site would share Redis."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": str(id(settings))}}
