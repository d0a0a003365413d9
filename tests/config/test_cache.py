"""The shared cache: one count for every web process, on the embedded Redis's unix socket,
and pages that outlive a Redis outage."""
from config.cache import SharedCache, cache_location
from tests.support.redis import EmbeddedRedis


def test_the_embedded_redis_socket_is_a_cache_location_and_other_brokers_are_not():
    assert cache_location("redis+socket:///srv/var/redis.sock") == "unix:///srv/var/redis.sock"
    assert cache_location("redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/0"
    assert cache_location("amqp://guest@localhost//") is None


def cache_on(redis: EmbeddedRedis) -> SharedCache:
    return SharedCache(cache_location(redis.url), {"KEY_PREFIX": "t", "OPTIONS": {"socket_timeout": 1}})


def test_two_processes_caches_count_together_and_survive_an_outage(tmp_path):
    redis = EmbeddedRedis(tmp_path / "redis.sock")
    redis.start()
    try:
        one, other = cache_on(redis), cache_on(redis)  # as two gunicorn workers hold them
        assert one.add("failures", 1)
        assert other.incr("failures") == 2 and one.get("failures") == 2
        redis.stop()
        assert one.get("failures", "miss") == "miss" and one.add("x", 1) is False
        one.set("page", "kept")  # dropped, without an error
        try:
            one.incr("failures")
        except ValueError:
            pass  # what django-ratelimit takes for "no count": with RATELIMIT_FAIL_OPEN, not limited
        else:
            raise AssertionError("incr on an unreachable cache must raise ValueError")
        redis.start()
        assert other.add("after", 1) and one.get("after") == 1
    finally:
        redis.stop()


def test_a_redis_that_refuses_writes_is_an_outage_too(tmp_path):
    import redis as redis_client

    server = EmbeddedRedis(tmp_path / "redis.sock")
    server.start()
    try:
        redis_client.Redis(unix_socket_path=str(server.socket_path)).config_set("maxmemory", 1)
        cache = cache_on(server)
        cache.set("page", "x" * 1000)  # OOM, dropped without an error
        assert cache.get("page", "miss") == "miss" and cache.add("failures", 1) is False
    finally:
        server.stop()
