"""What counting a request into the shared latency aggregate costs the request: the metric write
(three pipelined commands) against the embedded Redis on a unix socket, 5 rounds of 2,000,
each next to the same loop without it.

    .venv/bin/python benchmarks/metrics_overhead.py
"""
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
import django  # noqa: E402

django.setup()
from config.cache import SharedCache, cache_location  # noqa: E402
from coursework.services import metrics  # noqa: E402
from tests.support.redis import EmbeddedRedis  # noqa: E402

server = EmbeddedRedis(Path(tempfile.mkdtemp()) / "r.sock")
server.start()
try:
    cache = SharedCache(cache_location(server.url), {"KEY_PREFIX": "b", "OPTIONS": {"socket_timeout": 1}})
    store = metrics._Store()
    store._client = lambda: (cache._cache.get_client(None, write=True), cache.make_key)
    with_, without = [], []
    for _ in range(5):
        t = time.perf_counter()
        for _ in range(2000):
            store.record("student:home", 0.012, "2xx")
        with_.append((time.perf_counter() - t) / 2000 * 1e6)
        t = time.perf_counter()
        for _ in range(2000):
            metrics.status_class(200)
        without.append((time.perf_counter() - t) / 2000 * 1e6)
    print("per request, us: with", [round(x) for x in with_], "without", [round(x, 2) for x in without])
finally:
    server.stop()
