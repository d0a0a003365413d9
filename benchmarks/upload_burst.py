"""The first seconds of benchmarks/load.py alone: 50 uploads at once while 200 browsing
clients start, with no grading worker (the uploads are queued, not graded). Prints the page
p95 while the uploads are answered, in about half a minute rather than load.py's ten, so
web settings can be compared side by side (alternate them: this machine is shared).

`--uploads 0` is the control: the same 200 clients starting at once with no upload, their
pages timed over the first 3 s. It shows what the window costs without any upload: the
clients' first requests all arrive in it together (load.py starts them with the uploads).

    python benchmarks/upload_burst.py [--uploads 50] [--browsers 200] [-- GUNICORN_FLAGS...]

e.g. `-- --worker-class sync --threads 1` for the web before issue 21. Last line:
uploads_answered_s=A pages_during_p95_ms=P pages_during_p50_ms=M pages_after_p95_ms=Q errors=E
"""
from __future__ import annotations

import argparse
import json
import os
import random
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
    parser.add_argument("--uploads", type=int, default=50)
    parser.add_argument("--browsers", type=int, default=200)
    parser.add_argument("--after", type=float, default=5, help="seconds of browsing timed after the uploads")
    parser.add_argument("gunicorn", nargs="*", help="flags over config/gunicorn.py (after --)")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    import requests

    from tests.support import cpu_weight
    from tests.support.notebooks import notebook
    from tests.support.redis import redis_server
    from tests.support.stack import Stack

    # As load.py: the web and these clients (other people's machines) at the web's weight.
    weights = cpu_weight.available()
    clients = cpu_weight.CpuGroup("burst-clients", 10000) if weights else None
    if clients:
        (clients.path / "cgroup.procs").write_text(str(os.getpid()))
    data = notebook("import numpy as np\ndef predict(images):\n    return np.zeros(len(images), dtype=int)")
    samples, errors, answered = [], [], []
    with tempfile.TemporaryDirectory() as tmp, redis_server(Path(tmp), force_embedded=True) as redis_target:
        stack = Stack(Path(tmp), redis_target, DEBUG="0", DB_CONN_MAX_AGE="60")
        try:
            stack.manage("migrate", "--noinput")
            stack.manage("seed_demo")
            sessions = json.loads(stack.manage("shell", "-c", (
                "import json; from django.contrib.auth.models import User; from django.contrib.sessions.backends.db import SessionStore; "
                "from django.contrib.auth import SESSION_KEY, BACKEND_SESSION_KEY, HASH_SESSION_KEY; out = []\n"
                f"for i in range({args.uploads}):\n"
                "    u = User.objects.create_user(f'load{i}')\n"
                "    s = SessionStore(); s[SESSION_KEY] = str(u.pk); s[BACKEND_SESSION_KEY] = 'django.contrib.auth.backends.ModelBackend'; "
                "s[HASH_SESSION_KEY] = u.get_session_auth_hash(); s.create(); out.append(s.session_key)\n"
                "print(json.dumps(out))")).strip().splitlines()[-1])
            stack.start_web(*args.gunicorn, workers=4, cpu_weight=10000 if weights else None)
            base, done, lock = stack.base_url, threading.Event(), threading.Lock()
            start_gate = threading.Barrier(args.uploads + args.browsers + 1)

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
                    answered.append(time.perf_counter())
                    if not ok:
                        errors.append("upload")

            def browser(seed):
                rng, http = random.Random(seed), requests.Session()
                start_gate.wait()
                while not done.is_set():
                    t0 = time.perf_counter()
                    try:
                        ok = http.get(base + rng.choice(PAGES), timeout=30).status_code == 200
                    except requests.RequestException:
                        ok = False
                    with lock:
                        if ok:
                            samples.append((t0, 1000 * (time.perf_counter() - t0)))
                        else:
                            errors.append("page")
                    time.sleep(rng.uniform(0.5, 1.5))

            threads = [threading.Thread(target=uploader, args=(key,)) for key in sessions]
            threads += [threading.Thread(target=browser, args=(i,)) for i in range(args.browsers)]
            for t in threads:
                t.start()
            start_gate.wait()
            began = time.perf_counter()
            for t in threads[:args.uploads]:
                t.join()
            end = max(answered) if answered else began + 3
            time.sleep(args.after)
            done.set()
            for t in threads[args.uploads:]:
                t.join()
        finally:
            stack.stop()
    if clients:
        (clients.path.parent / "cgroup.procs").write_text(str(os.getpid()))
        clients.remove()
    during = sorted(ms for t, ms in samples if t < end)
    after = sorted(ms for t, ms in samples if t >= end)
    print(f"web: config/gunicorn.py {' '.join(args.gunicorn)}; {args.uploads} uploads answered in {end - began:.1f} s; "
          f"{len(during)} pages meanwhile, {len(after)} in the {args.after:.0f} s after")
    print(f"uploads_answered_s={end - began:.1f} pages_during_p95_ms={percentile(during, 0.95):.0f} "
          f"pages_during_p50_ms={percentile(during, 0.5):.0f} pages_after_p95_ms={percentile(after, 0.95):.0f} "
          f"errors={len(errors)}")


def percentile(ordered: list[float], q: float) -> float:
    return ordered[int(q * (len(ordered) - 1))] if ordered else float("nan")


if __name__ == "__main__":
    main()
