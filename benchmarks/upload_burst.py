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
import os
import random
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

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

    from benchmarks.load import PAGES, Uploader, percentile, signed_in_students
    from tests.support import cpu_weight
    from tests.support.redis import redis_server
    from tests.support.scenarios import TRIVIAL
    from tests.support.stack import Stack

    # As load.py: the web and these clients (other people's machines) at the web's weight.
    weights = cpu_weight.available()
    clients = cpu_weight.CpuGroup("burst-clients", 10000) if weights else None
    if clients:
        (clients.path / "cgroup.procs").write_text(str(os.getpid()))
    data = TRIVIAL  # the notebook load.py uploads
    samples, errors, answered = [], [], []
    with tempfile.TemporaryDirectory() as tmp, redis_server(Path(tmp), force_embedded=True) as redis_target:
        stack = Stack(Path(tmp), redis_target, DEBUG="0", DB_CONN_MAX_AGE="60")
        try:
            stack.migrate_and_seed()
            sessions = signed_in_students(stack, args.uploads)
            stack.start_web(*args.gunicorn, workers=4, cpu_weight=10000 if weights else None)
            base, done, lock = stack.base_url, threading.Event(), threading.Lock()
            start_gate = threading.Barrier(args.uploads + args.browsers + 1)

            def uploader(session_key):
                upload = Uploader(base, session_key)
                start_gate.wait()
                accepted = upload(data) is not None
                with lock:
                    answered.append(time.perf_counter())
                    if not accepted:
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



if __name__ == "__main__":
    main()
