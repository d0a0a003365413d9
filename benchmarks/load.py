"""50 students uploading at once and 200 people browsing while the uploads are graded.

Starts the real stack as production runs it (DEBUG off; gunicorn, a Celery worker with
one slot per core, an embedded Redis, a fresh database: SQLite, or a new one on the
PostgreSQL in DATABASE_URL), signs 50 students in (sessions made directly, so password
hashing does not dominate), then at the same moment: each of the 50 uploads a notebook,
and 200 browsing clients load public pages (the overview, the reading, the leaderboard)
with 0.5-1.5 s pauses, until every upload is graded. Prints uploads per second, page
latency and errors.

The pages-first rule of docs/operations.md is the default: gunicorn with --web-workers
per core, the web in a control group of CPU weight --web-weight and the grading worker
(with every sandbox it starts) in one of --grading-weight (as docker-compose's cpu_shares
and systemd's CPUWeight= do; 100 is an ordinary process group), connections to PostgreSQL
kept for DB_CONN_MAX_AGE seconds. `--web-weight 100 --grading-weight 100` and
`--web-workers-per-core 1` show what the rule buys; `--conn-max-age 0` opens a new
connection per request; `--private-postgres` runs PostgreSQL as its own host would be
run, at the web's weight (the machine's cluster is shared with other test runs). The browsing clients stand for other people's machines: this
process joins a group of the web's weight, so that other work on this machine does not
slow the clients and count against the pages. Without root or a cpu control group,
weights are skipped (said).

    python benchmarks/load.py [--students 50] [--browsers 200] [--web-workers-per-core 2]
                              [--grading-weight 1] [--conn-max-age 60]

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
    parser.add_argument("--web-workers-per-core", type=float, default=2)
    # 100:1, as in docker-compose.yml; grading at an ordinary weight, so that other work on this
    # shared machine slows it no more than it would slow any process.
    parser.add_argument("--web-weight", type=int, default=10000, help="CPU weight of the web (100: ordinary)")
    parser.add_argument("--grading-weight", type=int, default=100, help="CPU weight of grading (100: ordinary)")
    parser.add_argument("--conn-max-age", type=int, default=60)
    parser.add_argument("--private-postgres", action="store_true",
                        help="a PostgreSQL cluster of this run's own, at the web's CPU weight, as a database host "
                             "of its own would be (the machine's cluster serves other test runs too)")
    parser.add_argument("--keep", type=Path, help="a directory to keep each page's time (pages.csv) and the "
                                                   "stack's logs in, to see when the slow pages were")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    import requests

    from tests.support.notebooks import notebook
    from tests.support import cpu_weight
    from tests.support.redis import redis_server
    from tests.support.stack import Stack

    weights = cpu_weight.available()
    web_workers = max(1, round(args.web_workers_per_core * os.cpu_count()))
    print(f"web: gunicorn {web_workers} workers on {os.cpu_count()} cores; CPU weights: "
          + (f"web {args.web_weight}, grading {args.grading_weight}" if weights else "not set (needs root and a cpu "
             "control group)") + f"; DB_CONN_MAX_AGE={args.conn_max_age}; "
          f"database {'private postgres' if args.private_postgres else os.environ.get('DATABASE_URL', 'sqlite').split(':')[0]}")
    clients = cpu_weight.CpuGroup("load-clients", args.web_weight) if weights else None
    if clients:
        (clients.path / "cgroup.procs").write_text(str(os.getpid()))
    postgres = None
    if args.private_postgres:  # started from this process, so in its group: the web's weight
        from tests.support.netns import PrivatePostgres

        postgres = PrivatePostgres("127.0.0.1", "127.0.0.1/32")
        postgres.start()

    data = notebook("import numpy as np\ndef predict(images):\n    return np.zeros(len(images), dtype=int)")
    with tempfile.TemporaryDirectory() as tmp_name, redis_server(Path(tmp_name), force_embedded=True) as redis_target:
        stack = Stack(Path(tmp_name), redis_target, database_url=postgres.url if postgres else None, DEBUG="0",
                      DB_CONN_MAX_AGE=str(args.conn_max_age))
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
            stack.start_web(workers=web_workers, cpu_weight=args.web_weight if weights else None)
            stack.start_worker(concurrency=os.cpu_count(), cpu_weight=args.grading_weight if weights else None)
            base = stack.base_url
            done = threading.Event()
            latencies, errors, upload_times, ids, samples = [], [], [], [], []
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
                    page = rng.choice(PAGES)
                    try:
                        ok = http.get(base + page, timeout=30).status_code == 200
                    except requests.RequestException:
                        ok = False
                    with lock:
                        if ok:
                            latencies.append(1000 * (time.perf_counter() - t0))
                            samples.append((t0, page, latencies[-1]))
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
            # Watched in the worker's log, not with `manage.py shell` every 2 s (a new interpreter
            # and Django, in this process's group at the web's weight: it had slowed every other
            # second of pages). A row that ends without a stored result (the system's error)
            # logs none, so the statuses are also read every 30 s.
            deadline = time.monotonic() + 600
            asked = time.monotonic()
            while time.monotonic() < deadline and not set(ids) <= set(stack.stored_results()):
                if time.monotonic() - asked > 30:
                    asked = time.monotonic()
                    if all(stack.statuses().get(i) not in ("queued", "running") for i in ids):
                        break
                time.sleep(1)
            graded_after = time.perf_counter() - began
            done.set()
            for t in threads[args.students:]:
                t.join()
            statuses = stack.statuses()
            if args.keep:
                keep(args.keep, stack, began, samples)
        finally:
            stack.stop()
            if postgres:
                postgres.stop()
    if clients:
        (clients.path.parent / "cgroup.procs").write_text(str(os.getpid()))  # back where it came from
        clients.remove()
    ordered = sorted(latencies)
    p95 = percentile(ordered, 0.95)
    # Where the slow pages were: while the uploads were being answered, or while they graded;
    # and which page.
    burst_end = began + upload_span
    during = {"uploads": [ms for t, _, ms in samples if t < burst_end],
              "grading": [ms for t, _, ms in samples if t >= burst_end]}
    during.update({page: [ms for _, p, ms in samples if p == page] for page in PAGES})
    print("page p95 by phase and page: " + ", ".join(
        f"{name} {percentile(sorted(values), 0.95):.0f} ms ({len(values)})" for name, values in during.items()))
    not_graded = [i for i in ids if statuses.get(i) != "graded"]
    print(f"{args.students} uploads at once: all answered in {upload_span:.1f} s ({len(ids)} accepted); "
          f"all graded after {graded_after:.0f} s ({len(not_graded)} not graded)")
    print(f"{args.browsers} browsing clients: {len(ordered)} pages, p50 {statistics.median(ordered):.0f} ms, "
          f"p95 {p95:.0f} ms, max {ordered[-1]:.0f} ms; errors {len(errors)}")
    print(f"uploads_per_s={len(ids) / upload_span:.1f} page_p95_ms={p95:.0f} errors={len(errors) + len(not_graded)}")


def keep(where: Path, stack, began: float, samples: list) -> None:
    import shutil

    where.mkdir(parents=True, exist_ok=True)
    offset = time.time() - time.perf_counter()  # wall-clock times, to line up with the logs
    with open(where / "pages.csv", "w") as out:
        out.write("unix_time,seconds_in,page,ms\n")
        out.writelines(f"{t + offset:.3f},{t - began:.3f},{page},{ms:.1f}\n" for t, page, ms in samples)
    shutil.copytree(stack.logs, where / "logs", dirs_exist_ok=True)


def percentile(ordered: list[float], q: float) -> float:
    return ordered[int(q * (len(ordered) - 1))] if ordered else float("nan")


if __name__ == "__main__":
    main()
