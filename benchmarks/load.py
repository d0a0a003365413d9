"""50 students uploading at once and 200 people browsing while the uploads are graded.

Starts the real stack (gunicorn with 4 workers, a Celery worker at the default
concurrency, an embedded Redis, a fresh database), signs 50 students in (sessions
made directly, so password hashing does not dominate), then at the same moment:
each of the 50 uploads a notebook, and 200 browsing clients load public pages (the
overview, the reading, the leaderboard) with 0.5-1.5 s pauses, until every upload is
graded. Prints uploads per second, page latency and errors.

    python benchmarks/load.py [--students 50] [--browsers 200]

Last line: uploads_per_s=U page_p95_ms=P errors=E
"""
from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PAGES = ["/", "/unit/back-to-basics/", "/leaderboard/"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=50)
    parser.add_argument("--browsers", type=int, default=200)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    import requests

    from tests.support.notebooks import notebook
    from tests.support.redis import redis_server
    from tests.support.stack import Stack

    data = notebook("import numpy as np\ndef predict(images):\n    return np.zeros(len(images), dtype=int)")
    with tempfile.TemporaryDirectory() as tmp_name, redis_server(Path(tmp_name), force_embedded=True) as redis_target:
        stack = Stack(Path(tmp_name), redis_target)
        try:
            stack.manage("migrate", "--noinput")
            stack.manage("seed_demo")
            sessions = json.loads(stack.manage("shell", "-c", (
                "import json; from django.contrib.auth.models import User; from django.contrib.sessions.backends.db import SessionStore; "
                "from django.contrib.auth import SESSION_KEY, BACKEND_SESSION_KEY, HASH_SESSION_KEY; out = []\n"
                f"for i in range({args.students}):\n"
                "    u = User.objects.create_user(f'load{i}')\n"
                "    s = SessionStore(); s[SESSION_KEY] = str(u.pk); s[BACKEND_SESSION_KEY] = 'django.contrib.auth.backends.ModelBackend'; "
                "s[HASH_SESSION_KEY] = u.get_session_auth_hash(); s.create(); out.append(s.session_key)\n"
                "print(json.dumps(out))")).strip().splitlines()[-1])
            stack.start_web()
            stack.start_worker(concurrency=os.cpu_count())
            base = stack.base_url
            done = threading.Event()
            latencies, errors, upload_times, ids = [], [], [], []
            lock = threading.Lock()
            start_gate = threading.Barrier(args.students + args.browsers + 1)

            def uploader(session_key):
                http = requests.Session()
                http.cookies.set("sessionid", session_key)
                http.get(base + "/assignments/mnist/", timeout=30)
                token = http.cookies.get("csrftoken")
                start_gate.wait()
                try:
                    response = http.post(base + "/assignments/mnist/", data={"csrfmiddlewaretoken": token},
                                         files={"notebook": ("load.ipynb", data)}, headers={"Referer": base}, timeout=60)
                    ok = response.status_code == 200 and "/submissions/" in response.url
                except requests.RequestException:
                    ok = False
                with lock:
                    upload_times.append(time.perf_counter())
                    if ok:
                        ids.append(int(response.url.rstrip("/").rsplit("/", 1)[1]))
                    else:
                        errors.append("upload")

            def browser(seed):
                rng = random.Random(seed)
                http = requests.Session()
                start_gate.wait()
                while not done.is_set():
                    t0 = time.perf_counter()
                    try:
                        ok = http.get(base + rng.choice(PAGES), timeout=30).status_code == 200
                    except requests.RequestException:
                        ok = False
                    with lock:
                        if ok:
                            latencies.append(1000 * (time.perf_counter() - t0))
                        else:
                            errors.append("page")
                    time.sleep(rng.uniform(0.5, 1.5))

            threads = [threading.Thread(target=uploader, args=(key,)) for key in sessions]
            threads += [threading.Thread(target=browser, args=(i,)) for i in range(args.browsers)]
            for t in threads:
                t.start()
            start_gate.wait()
            began = time.perf_counter()
            for t in threads[: args.students]:
                t.join()
            upload_span = max(upload_times) - began
            deadline = time.monotonic() + 600
            while time.monotonic() < deadline:
                statuses = stack.statuses()
                if all(statuses.get(i) not in ("queued", "running") for i in ids):
                    break
                time.sleep(2)
            graded_after = time.perf_counter() - began
            done.set()
            for t in threads[args.students:]:
                t.join()
            statuses = stack.statuses()
        finally:
            stack.stop()
    ordered = sorted(latencies)
    p95 = ordered[int(0.95 * (len(ordered) - 1))] if ordered else float("nan")
    not_graded = [i for i in ids if statuses.get(i) != "graded"]
    print(f"{args.students} uploads at once: all answered in {upload_span:.1f} s ({len(ids)} accepted); "
          f"all graded after {graded_after:.0f} s ({len(not_graded)} not graded)")
    print(f"{args.browsers} browsing clients: {len(ordered)} pages, p50 {statistics.median(ordered):.0f} ms, "
          f"p95 {p95:.0f} ms, max {ordered[-1]:.0f} ms; errors {len(errors)}")
    print(f"uploads_per_s={len(ids) / upload_span:.1f} page_p95_ms={p95:.0f} errors={len(errors) + len(not_graded)}")


if __name__ == "__main__":
    main()
