"""Leaderboard and TA dashboard latency with a full class, under concurrent load.

Fills a fresh PostgreSQL database with 2,000 students and 20,000 notebook submissions
(plus synthesis answers and essays), starts gunicorn on loopback, and measures each
page two ways, side by side:

- browsing: 32 concurrent clients, each loading the page, then pausing 0.5-1.5 s
  (locust's usual `between(0.5, 1.5)`), for --seconds; p50 and p95 of what they saw.
  This is the figure the last line reports;
- saturation: wrk keeping 32 connections busy with no pause at all, which measures
  the server's capacity on this machine (the latency there is mostly queueing).

Also prints the SQL queries per page (no N+1: the count does not grow with the class).

    python benchmarks/web_latency.py [--seconds 15] [--students 2000] [--per-student 10]

Needs PostgreSQL (DATABASE_URL, default the local server) and wrk (Debian package).
Last line: leaderboard_p95_ms=X dashboard_p95_ms=Y
"""
from __future__ import annotations

import argparse
import os
import random
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def fill(students: int, per_student: int) -> None:
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.utils import timezone

    from coursework.models import (Assignment, EssaySubmission, Profile, QuestionSet, StudyGroup, Submission,
                                   SynthesisResponse)

    call_command("migrate", verbosity=0)
    call_command("seed_demo", verbosity=0)
    rng = random.Random(7)
    password = make_password("bench-pass")
    groups = [StudyGroup.objects.create(name=f"Bench group {g}") for g in range(20)]
    users = User.objects.bulk_create([User(username=f"s{i:05d}", password=password) for i in range(students)],
                                     batch_size=1000)
    Profile.objects.bulk_create([Profile(user=u, display_name=f"Student {i}", leaderboard_alias=f"alias-{i:05d}",
                                         show_name_on_leaderboard=i % 3 == 0, group=groups[i % 20])
                                 for i, u in enumerate(users)], batch_size=1000)
    mnist = Assignment.objects.get(slug="mnist")
    now = timezone.now()
    rows = []
    for u in users:
        skill = rng.uniform(0.85, 0.985)
        for _ in range(per_student):
            status = rng.choices(["graded", "failed", "error"], [85, 12, 3])[0]
            acc = min(0.999, skill + rng.gauss(0, 0.01)) if status == "graded" else None
            at = now - timedelta(minutes=rng.randint(0, 60 * 24 * 14))
            rows.append(Submission(assignment=mnist, student=u, notebook="notebooks/bench.ipynb", original_name="nb.ipynb",
                                   status=status, accuracy=acc,
                                   public_accuracy=None if acc is None else acc + rng.gauss(0, 0.002),
                                   private_accuracy=None if acc is None else acc + rng.gauss(0, 0.002),
                                   created_at=at, finished_at=at + timedelta(minutes=2),
                                   flagged=status == "graded" and rng.random() < 0.01,
                                   message="Cell 3 raised ValueError: shapes" if status == "failed" else ""))
    Submission.objects.bulk_create(rows, batch_size=2000)
    sets = list(QuestionSet.objects.filter(optional=False))
    SynthesisResponse.objects.bulk_create([SynthesisResponse(student=u, question_set=qs, status=rng.choice(["submitted", "reviewed", "draft"]),
                                                             submitted_at=now) for u in users for qs in sets], batch_size=2000)
    EssaySubmission.objects.bulk_create([EssaySubmission(student=u, version=1, status=rng.choice(["submitted", "reviewed"]))
                                         for u in users[: students // 2]], batch_size=2000)


def login_cookie(base: str) -> str:
    import requests

    s = requests.Session()
    s.get(base + "/accounts/login/")
    s.post(base + "/accounts/login/", data={"username": "ta", "password": "ta-demo-pass",
                                            "csrfmiddlewaretoken": s.cookies["csrftoken"]}, headers={"Referer": base})
    return "; ".join(f"{k}={v}" for k, v in s.cookies.items())


def wrk(url: str, cookie: str, seconds: int, connections: int) -> dict:
    out = subprocess.run(["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds}s", "--latency",
                          "-H", f"Cookie: {cookie}", url], capture_output=True, text=True, check=True).stdout
    def ms(label):
        m = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"p50": ms("50"), "p90": ms("90"), "p99": ms("99"), "requests": requests,
            "errors": int(non2xx.group(1)) if non2xx else 0, "raw": out}


def browse(url: str, cookie: str, seconds: float, clients: int) -> dict:
    """`clients` threads, each: GET, record the latency, think 0.5-1.5 s, repeat."""
    import statistics
    import threading

    import requests

    latencies, errors = [], []
    stop = time.monotonic() + seconds
    lock = threading.Lock()

    def client(seed):
        rng = random.Random(seed)
        session = requests.Session()
        session.headers["Cookie"] = cookie
        time.sleep(rng.uniform(0, 1.0))  # users do not arrive in lockstep
        while time.monotonic() < stop:
            t0 = time.perf_counter()
            try:
                ok = session.get(url, timeout=10).status_code == 200
            except requests.RequestException:
                ok = False
            elapsed = 1000 * (time.perf_counter() - t0)
            with lock:
                (latencies if ok else errors).append(elapsed)
            time.sleep(rng.uniform(0.5, 1.5))

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ordered = sorted(latencies)

    def pick(q):
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")

    return {"requests": len(latencies), "errors": len(errors), "p50": statistics.median(ordered) if ordered else float("nan"),
            "p95": pick(0.95), "p99": pick(0.99)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--students", type=int, default=2000)
    parser.add_argument("--per-student", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed (Debian package wrk)")
    base_url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    if not base_url.startswith("postgres"):
        sys.exit("this benchmark needs PostgreSQL: set DATABASE_URL")
    name = f"coursework_bench_{secrets.token_hex(4)}"
    import psycopg

    admin = psycopg.connect(base_url.rsplit("/", 1)[0] + "/postgres", autocommit=True)
    admin.execute(f"CREATE DATABASE {name}")
    tmp = Path(tempfile.mkdtemp())
    env = {**os.environ, "DATABASE_URL": base_url.rsplit("/", 1)[0] + "/" + name, "DEBUG": "0",
           "SECRET_KEY": secrets.token_urlsafe(40), "ALLOWED_HOSTS": "127.0.0.1", "VAR_DIR": str(tmp),
           "SESSION_COOKIE_SECURE": "0", "CSRF_COOKIE_SECURE": "0",
           "REFERENCE_MODEL_PATH": str(ROOT / "var" / "reference" / "model"),
           "MNIST_DATA_DIR": str(ROOT / "var" / "data" / "mnist"), "DJANGO_SETTINGS_MODULE": "config.settings"}
    os.environ.update(env)
    server = None
    try:
        import django

        django.setup()
        started = time.perf_counter()
        fill(args.students, args.per_student)
        print(f"filled {args.students} students and {args.students * args.per_student} submissions "
              f"in {time.perf_counter() - started:.1f} s", flush=True)

        from django.contrib.auth.models import User
        from django.db import connection
        from django.test import Client
        from django.test.utils import CaptureQueriesContext, setup_test_environment

        setup_test_environment()
        client = Client()
        client.force_login(User.objects.get(username="ta"))
        pages = {"leaderboard": "/leaderboard/", "dashboard": "/ta/?queue=synthesis",
                 "dashboard_notebooks": "/ta/?queue=notebooks"}
        for label, path in pages.items():
            client.get(path)
            t0 = time.perf_counter()
            with CaptureQueriesContext(connection) as queries:
                assert client.get(path).status_code == 200
            elapsed = 1000 * (time.perf_counter() - t0)
            slowest = max(queries.captured_queries, key=lambda q: float(q["time"]))
            print(f"{label}: {len(queries.captured_queries)} SQL queries per page, {elapsed:.0f} ms in-process, "
                  f"slowest query {1000 * float(slowest['time']):.0f} ms", flush=True)
            if os.environ.get("BENCH_SHOW_SQL"):
                print(slowest["sql"][:3000])

        port = 18000 + secrets.randbelow(1000)
        server = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "config.wsgi", "--bind",
                                   f"127.0.0.1:{port}", "--workers", str(args.workers)], cwd=ROOT, env=env,
                                  stdout=open(tmp / "gunicorn.log", "wb"), stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        import requests

        for _ in range(100):
            try:
                requests.get(base + "/", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.2)
        cookie = login_cookie(base)
        if "sessionid" not in cookie:
            sys.exit("could not log in as the TA:\n" + (tmp / "gunicorn.log").read_text()[-2000:])
        results = {}
        for label, path in pages.items():
            wrk(base + path, cookie, 2, args.connections)  # warm every worker (model, caches)
            b = browse(base + path, cookie, args.seconds, args.connections)
            results[label] = b
            print(f"{label} browsing ({args.connections} clients, 0.5-1.5 s pauses): {b['requests']} requests, "
                  f"{b['errors']} errors, p50 {b['p50']:.1f} ms, p95 {b['p95']:.1f} ms, p99 {b['p99']:.1f} ms", flush=True)
            r = wrk(base + path, cookie, args.seconds, args.connections)
            print(f"{label} saturation (wrk, {args.connections} busy connections): {r['requests'] / args.seconds:.0f} req/s, "
                  f"{r['errors']} errors, p50 {r['p50']:.1f} ms, p90 {r['p90']:.1f} ms, p99 {r['p99']:.1f} ms", flush=True)
        print(f"leaderboard_p95_ms={results['leaderboard']['p95']:.1f} dashboard_p95_ms={results['dashboard']['p95']:.1f}")
    finally:
        if server:
            server.terminate()
            server.wait()
        from django.db import connections

        connections.close_all()
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
