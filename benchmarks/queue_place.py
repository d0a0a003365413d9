"""What a pending run's page costs while many runs wait: the place in the queue (one SQL
query in the dispatcher's order), the median of recent runs, and the whole status fragment
the page polls every two seconds.

Fills a throwaway database (SQLite in memory, or a database of its own on the PostgreSQL in
DATABASE_URL, dropped at the end) with --finished graded runs and --queued waiting runs from
--students students (so turns are mixed), then asks for the last-queued run's place and its
status fragment --repeat times.

    python benchmarks/queue_place.py [--finished 20000] [--queued 500] [--students 200] [--repeat 50]

Last line: place_p50_ms=X place_p95_ms=Y fragment_p50_ms=Z fragment_p95_ms=W fragment_queries=Q
next_in_turn_p50_ms=N next_in_turn_p95_ms=M (the dispatcher's pick, from the same line)
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")


def fill(finished: int, queued: int, students: int):
    from datetime import timedelta

    from django.contrib.auth.models import User
    from django.utils import timezone

    from coursework.models import Assignment, Submission

    now = timezone.now()
    task = Assignment.objects.filter(kind=Assignment.NOTEBOOK).order_by("pk").first()  # seed_demo has two
    users = User.objects.bulk_create([User(username=f"q{i:05d}") for i in range(students)], batch_size=1000)
    rows = [Submission(assignment=task, student=users[i % students], queued_by=users[i % students],
                       original_name="b.ipynb", notebook="bench.ipynb", status="graded",
                       queued_at=now - timedelta(hours=3, seconds=i), created_at=now - timedelta(hours=3, seconds=i),
                       started_at=now - timedelta(hours=2, seconds=i + 30 + i % 60), finished_at=now - timedelta(hours=2, seconds=i),
                       accuracy=0.9, public_accuracy=0.9, private_accuracy=0.9)
            for i in range(finished)]
    rows += [Submission(assignment=task, student=users[i % students], queued_by=users[i % students],
                        original_name="b.ipynb", notebook="bench.ipynb", status="queued",
                        queued_at=now - timedelta(seconds=queued - i), created_at=now - timedelta(seconds=queued - i),
                        sent_at=now if i < 2 else None)
             for i in range(queued)]
    Submission.objects.bulk_create(rows, batch_size=1000)
    return Submission.all_runs.filter(status="queued").order_by("-queued_at").first()


def timed(fn, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--finished", type=int, default=20000)
    parser.add_argument("--queued", type=int, default=500)
    parser.add_argument("--students", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment

    setup_test_environment()
    settings.DEBUG = False
    connection.settings_dict.setdefault("TEST", {})["NAME"] = f"bench_queue_place_{os.getpid()}"
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        from django.core.management import call_command

        from coursework.grading import dispatch, queue

        call_command("seed_demo", verbosity=0, stdout=open(os.devnull, "w"))
        last = fill(args.finished, args.queued, args.students)
        place = queue.place_of(last)
        print(f"{args.finished} finished runs, {args.queued} queued from {args.students} students: "
              f"the last-queued run is at place {place.position}, median run {place.typical_s:.0f} s")
        client = Client()
        client.force_login(last.student)
        url = f"/submissions/{last.pk}/status/"
        counted = []
        with connection.execute_wrapper(lambda execute, sql, *rest: counted.append(sql) or execute(sql, *rest)):
            response = client.get(url)
        assert response.status_code == 200 and b"queue-position" in response.content, response.content[:300]
        place_ms = timed(lambda: queue.place_of(last), args.repeat)
        fragment_ms = timed(lambda: client.get(url), args.repeat)
        # The dispatcher's pick from the same line (every claim runs it).
        next_ms = timed(lambda: dispatch.next_in_turn(settings.GRADER_DISPATCH_AHEAD), args.repeat)
        p = {name: (statistics.median(t), statistics.quantiles(t, n=20)[18]) for name, t in
             (("place", place_ms), ("fragment", fragment_ms), ("next", next_ms))}
        print(f"place_p50_ms={p['place'][0]:.1f} place_p95_ms={p['place'][1]:.1f} "
              f"fragment_p50_ms={p['fragment'][0]:.1f} fragment_p95_ms={p['fragment'][1]:.1f} "
              f"fragment_queries={len(counted)} next_in_turn_p50_ms={p['next'][0]:.1f} "
              f"next_in_turn_p95_ms={p['next'][1]:.1f}")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
