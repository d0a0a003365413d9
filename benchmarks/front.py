"""Slow clients against the site, with and without the front (config/nginx).

Starts the real web (gunicorn, 4 sync workers, as `make run`) on a fresh database and the
front before it, then for each of three phases a normal client asks for the public pages
one after another for --seconds: straight to gunicorn with nothing else; straight to
gunicorn while --slow connections send their headers a byte a second; through the front
while the same slow connections go to the front. Prints each phase's p50/p95 and failures.

    python benchmarks/front.py [--slow 50] [--seconds 20]

Last line: direct_quiet_p95_ms=A direct_slow_p95_ms=B front_slow_p95_ms=C front_slow_failed=F
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PAGES = ["/", "/leaderboard/", "/unit/back-to-basics/"]


def phase(base: str, seconds: float) -> tuple[list[float], int]:
    import requests

    times, failed, end, i = [], 0, time.monotonic() + seconds, 0
    while time.monotonic() < end:
        t0 = time.perf_counter()
        try:
            ok = requests.get(base + PAGES[i % len(PAGES)], timeout=10).status_code == 200
        except requests.RequestException:
            ok = False
        i += 1
        if ok:
            times.append(1000 * (time.perf_counter() - t0))
        else:
            failed += 1
    return times, failed


def p95(times: list[float]) -> float:
    ordered = sorted(times)
    return ordered[int(0.95 * (len(ordered) - 1))] if ordered else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--slow", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from tests.support.front import Front, slow_clients
    from tests.support.redis import redis_server
    from tests.support.stack import Stack

    results = {}
    with tempfile.TemporaryDirectory() as tmp_name, redis_server(Path(tmp_name)) as redis_target:
        tmp = Path(tmp_name)
        stack = Stack(tmp, redis_target, DEBUG="0")
        front = Front(tmp / "front", stack.port, static_parent=tmp / "var")
        try:
            stack.migrate_and_seed()
            stack.start_web(workers=4)
            front.start()
            for name, base, slow_port in [("direct_quiet", stack.base_url, None),
                                          ("direct_slow", stack.base_url, stack.port),
                                          ("front_slow", front.base_url, front.port)]:
                stop = threading.Event()
                if slow_port:
                    slow_clients(slow_port, args.slow, stop)
                    time.sleep(2)
                results[name] = phase(base, args.seconds)
                stop.set()
                time.sleep(3)  # the slow connections close before the next phase
                times, failed = results[name]
                print(f"{name}: {len(times)} pages, p50 {statistics.median(times) if times else float('nan'):.0f} ms, "
                      f"p95 {p95(times):.0f} ms, {failed} failed or timed out (10 s)")
        finally:
            front.stop()
            stack.stop()
    print(f"direct_quiet_p95_ms={p95(results['direct_quiet'][0]):.0f} direct_slow_p95_ms={p95(results['direct_slow'][0]):.0f} "
          f"front_slow_p95_ms={p95(results['front_slow'][0]):.0f} front_slow_failed={results['front_slow'][1]}")


if __name__ == "__main__":
    main()
