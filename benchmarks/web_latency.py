"""Page latency with a full class, under concurrent load, and how it grows with the class.

Fills a fresh PostgreSQL database in steps: 200 students, then --students (2,000 by
default, 10 notebook submissions each, plus synthesis answers and essays); with
--growth, a second database with ten times that (20,000 students, 200,000
submissions). At every size it prints the SQL queries each page runs (the count must
not grow with the class). It then serves each full-size database with its own gunicorn
on loopback and measures each page, the sizes in turn page by page (so a busy moment
of the machine weighs on both sizes alike):

- browsing: --clients concurrent clients (32), each loading the page, then pausing
  0.5-1.5 s (locust's usual `between(0.5, 1.5)`), for --seconds; p50/p95/p99 of what
  they saw. These are the figures the last line reports;
- saturation: wrk keeping --clients connections busy with no pause at all, which
  measures the server's capacity on this machine (the latency there is mostly queueing).

The gradebook export is one row per student, so its total time must grow with the
class; what must not grow is its time to the first byte (it streams) and its cost per
student row. It is fetched by two clients (TAs downloading it), not 32, and then 40
times alone for its first byte (the growth ratio uses that: beside another TA's whole
download the first byte measures that download too).

It sets everything its own measurement needs, each size a stack of its own started by
tests/support/stack.py as the tests start theirs: plain http on 127.0.0.1 with DEBUG=0, its
own database (dropped at the end), its own Redis (the shared cache, as in production),
gunicorn with config/gunicorn.py as production runs it, its own users. It needs the PostgreSQL server of DATABASE_URL (default
postgres://postgres@127.0.0.1:5432), wrk (`make bench` installs it) and the trained
reference network (`manage.py train_reference`).

    python benchmarks/web_latency.py [--seconds 15] [--students 2000] [--per-student 10] [--growth]

Last line: leaderboard_p95_ms=X dashboard_p95_ms=Y (Y the slower TA queue), and with
--growth also growth_p95=R (the largest p95 ratio, 10x data over 1x, of the pages that
must stay flat).
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PASSWORD = "bench-pass-4d9f"


@dataclass
class PageSpec:
    label: str
    path: str
    user: str  # who asks for it
    clients: int | None = None  # None: --clients
    saturate: bool = True  # also measure with wrk
    flat: bool = True  # p95 must not grow with the class
    first_byte: bool = False  # report time to the first byte (a streamed download)


PAGES = [
    PageSpec("leaderboard", "/leaderboard/", "bench-ta"),
    PageSpec("synthesis queue", "/ta/?queue=synthesis", "bench-ta"),
    PageSpec("essays queue", "/ta/?queue=essays", "bench-ta"),
    PageSpec("notebooks queue", "/ta/?queue=notebooks", "bench-ta"),
    PageSpec("gradebook csv", "/ta/gradebook.csv", "bench-ta", clients=2, saturate=False, first_byte=True),
    PageSpec("admin submissions", "/admin/coursework/submission/", "bench-admin", clients=4, saturate=False),
    PageSpec("admin index", "/admin/", "bench-admin", clients=4, saturate=False),
]
QUEUES = ("synthesis queue", "essays queue", "notebooks queue")


# --- filling the database ---------------------------------------------------------------


def copy_objects(model, objects: list) -> None:
    """Insert unsaved model instances with PostgreSQL's COPY (ids from the sequence)."""
    from django.db import connection

    from django.db.models.expressions import DatabaseDefault

    # A column whose value the database makes (db_default) is left to it, as an INSERT would.
    fields = [f for f in model._meta.concrete_fields if not f.primary_key
              and not (objects and isinstance(getattr(objects[0], f.attname), DatabaseDefault))]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    connection.ensure_connection()
    with connection.connection.cursor() as cursor:
        with cursor.copy(f"COPY {connection.ops.quote_name(model._meta.db_table)} ({columns}) FROM STDIN") as copy:
            for obj in objects:
                copy.write_row([f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields])


def insert(model, objects: list, method: str) -> list:
    if method == "bulk_create":
        return model.objects.bulk_create(objects, batch_size=5000)
    copy_objects(model, objects)
    return objects


def fill(first: int, last: int, per_student: int, method: str) -> int:
    """Students first..last-1 with their work; returns how many rows it wrote."""
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import User
    from django.utils import timezone

    from coursework.states import ReviewStatus, SubmissionStatus
    from coursework.models import (Assignment, EssaySubmission, Profile, QuestionSet, StudyGroup, Submission,
                                   SynthesisResponse)

    rng = random.Random(7 + first)
    password = make_password(PASSWORD)
    groups = list(StudyGroup.objects.filter(name__startswith="Bench group").order_by("pk"))
    if not groups:
        groups = [StudyGroup.objects.create(name=f"Bench group {g}") for g in range(20)]
    now = timezone.now()
    insert(User, [User(username=f"s{i:06d}", password=password, email=f"s{i:06d}@example.org", date_joined=now)
                  for i in range(first, last)], method)
    users = list(User.objects.filter(username__gte=f"s{first:06d}", username__lt=f"s{last:06d}").order_by("username"))
    insert(Profile, [Profile(user_id=u.pk, display_name=f"Student {first + i}", leaderboard_alias=f"alias-{first + i:06d}",
                             show_name_on_leaderboard=i % 3 == 0, group_id=groups[i % len(groups)].pk)
                     for i, u in enumerate(users)], method)
    mnist = Assignment.objects.get(slug="mnist")
    due = mnist.due_at or now
    submissions = []
    confusion = [[980 if i == j else 2 for j in range(10)] for i in range(10)]
    log_tail = "".join(f"[cell {k}] epoch {k}: loss 0.{k:04d}, accuracy 0.97{k:02d}\n" for k in range(24))
    for u in users:
        skill = rng.uniform(0.85, 0.985)
        for _ in range(per_student):
            status = rng.choices([SubmissionStatus.GRADED, SubmissionStatus.FAILED, SubmissionStatus.ERROR], [85, 12, 3])[0]
            acc = min(0.999, skill + rng.gauss(0, 0.01)) if status == SubmissionStatus.GRADED else None
            at = now - timedelta(minutes=rng.randint(0, 60 * 24 * 14))
            submissions.append(Submission(
                assignment_id=mnist.pk, student_id=u.pk, notebook="notebooks/bench.ipynb", original_name="nb.ipynb",
                status=status, accuracy=acc, score=None if acc is None else mnist.score_for(acc),
                public_accuracy=None if acc is None else acc + rng.gauss(0, 0.002),
                private_accuracy=None if acc is None else acc + rng.gauss(0, 0.002),
                created_at=at, started_at=at, finished_at=at + timedelta(minutes=2), late=at > due,
                # Rows as wide as real ones: the feedback page's figures and the sandbox log's tail.
                feedback=feedback_like(acc, confusion) if acc is not None else {"limits": {"memory_mb": 2048}},
                log_tail=log_tail * (4 if status != SubmissionStatus.GRADED else 1),
                flagged=status == SubmissionStatus.GRADED and rng.random() < 0.01,
                message="Cell 3 raised ValueError: shapes" if status == SubmissionStatus.FAILED else ""))
    insert(Submission, submissions, method)
    sets = list(QuestionSet.objects.filter(optional=False))
    statuses = [ReviewStatus.SUBMITTED, ReviewStatus.REVIEWED, ReviewStatus.DRAFT]
    responses = []
    for u in users:
        for qs in sets:
            status = rng.choice(statuses)
            at = now - timedelta(minutes=rng.randint(0, 60 * 24 * 14))
            responses.append(SynthesisResponse(student_id=u.pk, question_set_id=qs.pk, status=status, saved_at=at,
                                               submitted_at=None if status == ReviewStatus.DRAFT else at))
    insert(SynthesisResponse, responses, method)
    essays = []
    for u in users[: len(users) // 2]:
        versions = rng.choice([1, 1, 2])
        for v in range(1, versions + 1):
            latest = v == versions
            at = now - timedelta(minutes=rng.randint(0, 60 * 24 * 14))
            status = rng.choice([ReviewStatus.SUBMITTED, ReviewStatus.REVIEWED]) if latest else ReviewStatus.RESUBMIT
            essays.append(EssaySubmission(student_id=u.pk, version=v, status=status, submitted_at=at))
    insert(EssaySubmission, essays, method)
    return 2 * len(users) + len(submissions) + len(responses) + len(essays)


def feedback_like(accuracy: float, confusion: list) -> dict:
    """The shape and size of a graded submission's feedback (see grader.pipeline)."""
    per_digit = [min(1.0, accuracy + 0.001 * d) for d in range(10)]
    return {"limits": {"memory_mb": 2048, "cpu_seconds": 1200, "total_timeout_s": 900}, "truncated_cells": [],
            "per_digit": per_digit, "confusion": confusion, "per_digit_delta": [a - 0.98 for a in per_digit],
            "reference": {"accuracy": 0.9832, "public_accuracy": 0.9828, "private_accuracy": 0.9836,
                          "per_digit": per_digit, "description": "NumPy network 784-128-64-32-10"},
            "probe": {"clean_accuracy": accuracy, "noisy_accuracy": accuracy - 0.01, "gap": 0.01},
            "misclassified": [{"index": 37 * i, "true": i % 10, "predicted": (i + 3) % 10} for i in range(24)],
            "misclassified_total": int((1 - accuracy) * 10_000)}


def analyze() -> None:
    """Statistics and the visibility map of a table in steady state (autovacuum's work, done now)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


# --- measuring --------------------------------------------------------------------------


def queries_per_page(logins: dict) -> dict[str, tuple]:
    """Each page in this process: (SQL queries, ms) with an empty cache, then again with it filled."""
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    cache.clear()  # the benchmark's own Redis
    out = {}
    for page in PAGES:
        client = logins[page.user]
        figures = []
        for _ in ("cold", "warm"):
            t0 = time.perf_counter()
            with CaptureQueriesContext(connection) as queries:
                response = client.get(page.path)
                assert response.status_code == 200, f"{page.path} answered {response.status_code}"
                if response.streaming:
                    b"".join(response.streaming_content)
            figures += [len(queries.captured_queries), 1000 * (time.perf_counter() - t0)]
        out[page.label] = tuple(figures)
    return out


def wrk(url: str, cookie: str, seconds: int, connections: int) -> dict:
    out = subprocess.run(["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds}s", "--latency",
                          "-H", f"Cookie: {cookie}", url], capture_output=True, text=True, check=True).stdout

    def ms(label):
        m = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    done = int(re.search(r"(\d+) requests in", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"p50": ms("50"), "p90": ms("90"), "p99": ms("99"), "rate": done / seconds,
            "errors": int(non2xx.group(1)) if non2xx else 0}


def browse(url: str, cookie: str, seconds: float, clients: int) -> dict:
    """`clients` threads, each: GET, record the latency, think 0.5-1.5 s, repeat."""
    import requests

    latencies, first_bytes, errors = [], [], []
    stop = time.monotonic() + seconds
    lock = threading.Lock()

    def client(seed):
        rng = random.Random(seed)
        session = requests.Session()
        session.headers["Cookie"] = cookie
        time.sleep(rng.uniform(0, 1.0))  # users do not arrive in lockstep
        while time.monotonic() < stop:
            t0 = time.perf_counter()
            first = None
            try:
                with session.get(url, timeout=60, stream=True, allow_redirects=False) as r:
                    chunks = r.iter_content(64 * 1024)
                    next(chunks, None)
                    first = 1000 * (time.perf_counter() - t0)
                    for _ in chunks:
                        pass
                    ok = r.status_code == 200
            except requests.RequestException:
                ok = False
            elapsed = 1000 * (time.perf_counter() - t0)
            with lock:
                if ok:
                    latencies.append(elapsed)
                    first_bytes.append(first)
                else:
                    errors.append(elapsed)
            time.sleep(rng.uniform(0.5, 1.5))

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        while t.is_alive():  # a timed join lets Ctrl-C (and SIGTERM, below) reach the clean-up
            t.join(0.5)

    def pick(values, q):
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")

    return {"requests": len(latencies), "errors": len(errors),
            "p50": statistics.median(latencies) if latencies else float("nan"),
            "p95": pick(latencies, 0.95), "p99": pick(latencies, 0.99), "first_byte_p95": pick(first_bytes, 0.95)}


def first_byte_alone(url: str, cookie: str, samples: int = 40) -> float:
    """p95 time to the first byte of a streamed download asked for alone, one at a time
    (the first chunk read, then the connection closed). While two clients browse it, each
    download of the whole export (1.7 s at 20,000 students) runs beside the other's first
    byte, so that figure measures the class's size through the other download; this one is
    what the page itself costs before it streams."""
    import requests

    times = []
    session = requests.Session()
    session.headers["Cookie"] = cookie
    for _ in range(samples):
        t0 = time.perf_counter()
        with session.get(url, timeout=60, stream=True, allow_redirects=False) as r:
            next(r.iter_content(64 * 1024), None)
            times.append(1000 * (time.perf_counter() - t0))
        session.close()  # the server stops streaming to a closed connection
        time.sleep(0.3)
    times.sort()
    return times[min(len(times) - 1, int(0.95 * len(times)))]


def measure(site: Site, page: PageSpec, args) -> dict:
    url, cookie, clients = site.base + page.path, site.cookies[page.user], page.clients or args.clients
    if page.saturate:
        wrk(url, cookie, 2, clients)  # warm every worker (caches, connections)
    else:
        browse(url, cookie, 2, 1)
    b = browse(url, cookie, args.seconds, clients)
    line = (f"  {site.students:>6} students  {page.label:18} browsing ({clients} clients): {b['requests']:5} requests, "
            f"{b['errors']} errors, "
            f"p50 {b['p50']:7.1f} ms, p95 {b['p95']:7.1f} ms, p99 {b['p99']:7.1f} ms")
    if page.first_byte:
        b["first_byte_alone_p95"] = first_byte_alone(url, cookie)
        line += (f", first byte p95 {b['first_byte_p95']:.1f} ms (alone {b['first_byte_alone_p95']:.1f} ms), "
                 f"{b['p50'] * 1000 / site.students:.0f} us per student row (p50)")
    print(line, flush=True)
    if page.saturate:
        r = wrk(url, cookie, args.seconds, clients)
        b["rate"] = r["rate"]
        print(f"  {'':35} saturation (wrk, {clients} busy connections): {r['rate']:.0f} req/s, {r['errors']} errors, "
              f"p50 {r['p50']:.1f} ms, p90 {r['p90']:.1f} ms, p99 {r['p99']:.1f} ms", flush=True)
    return b


# --- the run ----------------------------------------------------------------------------


# A production-like configuration, except plain http on loopback (no TLS proxy here).
SITE_ENV = {"DEBUG": "0", "ALLOWED_HOSTS": "127.0.0.1,testserver", "HTTPS": "0", "SECURE_SSL_REDIRECT": "0",
            "SECURE_HSTS_SECONDS": "0", "SESSION_COOKIE_SECURE": "0", "CSRF_COOKIE_SECURE": "0",
            "CACHE_PER_PROCESS": "0", "LOG_LEVEL": "WARNING"}


class Site:
    """One class size: a stack of its own (tests/support/stack.py: a fresh database on the
    PostgreSQL server, its own Redis, gunicorn as config/gunicorn.py serves it), filled by child
    processes.

    Every Django step runs in a child process with the site's settings, so two sites (the
    class and ten times the class) can be measured side by side, page by page: whatever
    else the machine is doing then weighs on both alike.
    """

    def __init__(self, label: str, server_url: str, tmp: Path, redis_target):
        from tests.support.stack import Stack

        self.label = label
        self.stack = Stack(tmp / label, redis_target, database_url=server_url + "/postgres", **SITE_ENV)
        self.stack.migrate_and_seed()
        self.students = 0

    def grow(self, students: int, args) -> dict:
        """Fill up to `students` in a child process; return its report (rows, seconds, queries per page)."""
        out = self.stack.workdir / "child.json"
        subprocess.run([sys.executable, __file__, "--child", json.dumps(
            {"first": self.students, "last": students, "per_student": args.per_student, "fill": args.fill,
             "out": str(out)})], env={**self.stack.env, "DJANGO_SETTINGS_MODULE": "config.settings"}, check=True)
        self.students = students
        return json.loads(out.read_text())

    def serve(self, workers: int) -> None:
        from tests.support.stack import Browser

        self.stack.start_web(workers=workers)
        self.base = self.stack.base_url
        self.cookies = {}
        for username in {p.user for p in PAGES}:
            browser = Browser(self.stack)
            browser.login(username, PASSWORD)
            self.cookies[username] = "; ".join(f"{k}={v}" for k, v in browser.http.cookies.items())

    def stop(self) -> None:
        self.stack.stop()


def child(spec: dict) -> None:
    """In the site's settings: set up (the first time), fill, and count each page's queries."""
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.test import Client
    from django.test.utils import setup_test_environment

    from coursework.models import Profile

    if spec["first"] == 0:  # the stack migrated and seeded it
        ta = User.objects.create_user("bench-ta", password=PASSWORD, is_staff=True)
        Profile.objects.create(user=ta, display_name="Bench TA", leaderboard_alias="bench-ta")
        User.objects.create_superuser("bench-admin", password=PASSWORD)
    started = time.perf_counter()
    rows = fill(spec["first"], spec["last"], spec["per_student"], spec["fill"])
    analyze()
    report = {"rows": rows, "seconds": time.perf_counter() - started}
    setup_test_environment()
    logins = {}
    for username in {p.user for p in PAGES}:
        logins[username] = Client()
        logins[username].force_login(User.objects.get(username=username))
    # A web process's first leaderboard: nothing may be computed for it on the spot.
    t0 = time.perf_counter()
    logins["bench-ta"].get("/leaderboard/")
    report["first_leaderboard_ms"] = 1000 * (time.perf_counter() - t0)
    for page in PAGES:  # every page once, so the figures below are not a process's first
        logins[page.user].get(page.path)
    report["queries"] = queries_per_page(logins)
    Path(spec["out"]).write_text(json.dumps(report))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=15, help="per page, browsing and again saturated")
    parser.add_argument("--students", type=int, default=2000)
    parser.add_argument("--per-student", type=int, default=10)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--growth", action="store_true", help="also at 10x the class (20,000 students by default)")
    parser.add_argument("--fill", choices=["copy", "bulk_create"], default="copy", help="how to load the rows")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(json.loads(args.child))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")  # tests/support/stack.py reads the paths
    # Stopped from outside, still drop the databases and stop gunicorn and Redis (the finally below).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("stopped"))
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: `make bench` installs it (Debian package wrk)")
    base_url = os.environ.get("DATABASE_URL", "")
    if not base_url.startswith("postgres"):
        base_url = "postgres://postgres@127.0.0.1:5432/postgres"
    server_url = base_url.rsplit("/", 1)[0]
    import psycopg

    try:
        psycopg.connect(server_url + "/postgres", autocommit=True).close()
    except psycopg.OperationalError as exc:
        sys.exit(f"this benchmark needs PostgreSQL ({server_url}): {exc}")
    from tests.support.redis import redis_server

    tmp = Path(tempfile.mkdtemp(prefix="web-latency-"))
    sites = []
    redis_servers = contextlib.ExitStack()
    try:
        # Each size its own Redis (the shared cache, as in production): a child's cache.clear()
        # empties one size's alone.
        for label in ("1x", "10x") if args.growth else ("1x",):
            redis_target = redis_servers.enter_context(redis_server(tmp / f"redis-{label}", force_embedded=True))
            sites.append(Site(label, server_url, tmp, redis_target))
        plan = [(sites[0], min(200, args.students)), (sites[0], args.students)]
        if args.growth:
            plan.append((sites[1], args.students * 10))
        queries = {}
        for site, students in plan:
            report = site.grow(students, args)
            print(f"filled {students} students ({students * args.per_student} submissions): {report['rows']} rows in "
                  f"{report['seconds']:.1f} s ({report['rows'] / report['seconds']:,.0f} rows/s, {args.fill}); "
                  f"first leaderboard of a fresh process {report['first_leaderboard_ms']:.0f} ms", flush=True)
            queries[students] = report["queries"]
        for site in sites:
            site.serve(args.workers)
        # Page by page, each size in turn, so both meet the same moment of the machine's load.
        timings = {site.students: {} for site in sites}
        print(f"gunicorn, {args.workers} workers per size; {args.seconds} s browsing and {args.seconds} s saturated per page:")
        for page in PAGES:
            for site in sites:
                timings[site.students][page.label] = measure(site, page, args)

        sizes = sorted(queries)
        print("\nSQL queries per page, and in-process ms for one request: with an empty cache / with it filled")
        print(f"  {'page':18} " + " ".join(f"{f'{n} students':>31}" for n in sizes))
        for page in PAGES:
            print(f"  {page.label:18} " + " ".join(
                "{:5} ({:5.0f} ms) / {:3} ({:5.0f} ms)".format(*queries[n][page.label]) for n in sizes))
        full = timings[args.students]
        slower = max(QUEUES, key=lambda label: full[label]["p95"])
        last = f"leaderboard_p95_ms={full['leaderboard']['p95']:.1f} dashboard_p95_ms={full[slower]['p95']:.1f}"
        if args.growth:
            big = timings[args.students * 10]
            print(f"\ngrowth at 10x ({args.students * 10} students over {args.students}): p95 ratio per page")
            ratios = {}
            for page in PAGES:
                key = "first_byte_alone_p95" if page.first_byte else "p95"
                ratio = big[page.label][key] / full[page.label][key]
                note = " (time to the first byte, asked alone)" if page.first_byte else "" if page.flat else " (not required flat)"
                print(f"  {page.label:18} {full[page.label][key]:7.1f} ms -> {big[page.label][key]:7.1f} ms: "
                      f"{ratio:.2f}{note}")
                if page.flat:
                    ratios[page.label] = ratio
            last += f" growth_p95={max(ratios.values()):.2f}"
        print(last)
    finally:
        for site in sites:
            site.stop()
        redis_servers.close()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
