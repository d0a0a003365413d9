"""How many of the course's own solution notebooks one core grades per minute: the figure the
capacity plan in docs/operations.md is built on.

The solution (assignments/mnist_solution.ipynb) trains a 784-256-128-64-10 network with Adam
for 8 epochs, as a good student notebook does, so a job here costs what a real one does (a
trivial notebook would flatter the figure many times over). Starts the real stack (Redis,
a Celery worker with one slot per core, a fresh database), queues N copies from N students
at once, waits until all are graded, and prints the span from the first claim to the last
result, each job's time and the rate per core.

    python benchmarks/solution_throughput.py [--notebooks 8] [--concurrency CORES]

Last line: solution_notebooks_per_min_per_core=N
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

ROWS = ("from coursework.models import Submission as S; import json\n"
        "rows = S.objects.values_list('status', 'queued_at', 'started_at', 'finished_at', 'accuracy')\n"
        "print(json.dumps([[s, q.timestamp(), a and a.timestamp(), b and b.timestamp(), acc] "
        "for s, q, a, b, acc in rows]))")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--notebooks", type=int, default=8)
    parser.add_argument("--concurrency", type=int, default=os.cpu_count())
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from tests.support.redis import redis_server
    from tests.support.stack import Stack

    solution = (ROOT / "assignments" / "mnist_solution.ipynb").read_bytes()
    with tempfile.TemporaryDirectory() as tmp_name, redis_server(Path(tmp_name), force_embedded=True) as redis_target:
        stack = Stack(Path(tmp_name), redis_target, GRADER_DISPATCH_AHEAD=str(args.concurrency))
        try:
            stack.manage("migrate", "--noinput")
            stack.manage("seed_demo")
            names = [f"capacity{i}" for i in range(args.notebooks)]
            stack.manage("shell", "-c", "from django.contrib.auth.models import User; "
                                        f"[User.objects.create_user(n) for n in {names!r}]")
            stack.start_worker(concurrency=args.concurrency)
            time.sleep(3)  # let the worker connect before the burst
            began = time.time()
            for name in names:
                stack.submit(1, solution, username=name)
            while True:
                rows = json.loads(stack.manage("shell", "-c", ROWS).strip().splitlines()[-1])
                done = [r for r in rows if r[0] in ("graded", "failed", "error")]
                print(f"{time.time() - began:6.0f} s: {len(done)}/{len(rows)} finished", flush=True)
                if len(done) == len(rows):
                    break
                time.sleep(10)
        finally:
            stack.stop()
    not_graded = [r for r in rows if r[0] != "graded"]
    first, last = min(r[2] for r in rows), max(r[3] for r in rows)
    jobs = [r[3] - r[2] for r in rows]
    waits = [r[2] - r[1] for r in rows]
    per_min = len(rows) / (last - first) * 60
    accuracies = [r[4] for r in rows if r[4] is not None]
    print(f"{len(rows)} solution notebooks, {len(not_graded)} not graded, {args.concurrency} slots on "
          f"{os.cpu_count()} cores: {last - first:.0f} s from first claim to last result")
    print(f"job (claim to stored result): mean {statistics.mean(jobs):.1f} s, max {max(jobs):.1f} s; "
          f"wait in the queue: max {max(waits):.0f} s; test accuracy {min(accuracies, default=0):.4f}")
    print(f"notebooks_per_min={per_min:.2f} slots={args.concurrency}")
    print(f"solution_notebooks_per_min_per_core={per_min / args.concurrency:.2f}")


if __name__ == "__main__":
    main()
