"""How many notebooks a worker grades per minute, and how busy its pool stays.

Starts the real stack (Redis, one Celery worker at its default concurrency, which is
the number of cores), queues N notebooks at once, and waits until all are graded.
Busy fraction = time slots spent inside a grading job (from claim to stored result,
as recorded on each row) / (concurrency × the span from the first claim to the last
result).

    python benchmarks/grading_throughput.py [--notebooks 100]

Last line: notebooks_per_min=N pool_busy=F
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--notebooks", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=os.cpu_count())
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from tests.support.notebooks import nearest_mean_notebook
    from tests.support.redis import redis_server
    from tests.support.stack import Stack

    with tempfile.TemporaryDirectory() as tmp_name, redis_server(Path(tmp_name)) as redis_target:
        stack = Stack(Path(tmp_name), redis_target)
        try:
            stack.manage("migrate", "--noinput")
            stack.manage("seed_demo")
            stack.start_worker(concurrency=args.concurrency)
            time.sleep(3)  # let the worker connect before the burst
            script = (
                "import sys\n"
                "from django.contrib.auth.models import User\n"
                "from coursework.models import Assignment\n"
                "from coursework.services.notebooks import submit_notebook\n"
                "data = open(sys.argv[1], 'rb').read()\n"
                # Its own student, allowed as many uploads as the run makes: no daily limit stops it.
                "student = User.objects.create_user('throughput-bench')\n"
                "assignment = Assignment.objects.get(slug='mnist')\n"
                f"assignment.daily_submission_limit = {args.notebooks}\n"
                "assignment.save(update_fields=['daily_submission_limit'])\n"
                f"for i in range({args.notebooks}):\n"
                "    submit_notebook(student, assignment, f'nb{i}.ipynb', data)\n"
            )
            nb_path = Path(tmp_name) / "nearest_mean.ipynb"
            nb_path.write_bytes(nearest_mean_notebook())
            (Path(tmp_name) / "enqueue.py").write_text(script)
            queued_at = time.time()
            stack.manage("shell", "-c", f"import sys; sys.argv=['x', {str(nb_path)!r}]; exec(open({str(Path(tmp_name) / 'enqueue.py')!r}).read())")
            query = (
                "from coursework.models import Submission as S; import json\n"
                "rows = list(S.objects.values_list('status', 'started_at', 'finished_at'))\n"
                "print(json.dumps([[s, a.timestamp() if a else None, b.timestamp() if b else None] for s, a, b in rows]))"
            )
            import json

            while True:
                rows = json.loads(stack.manage("shell", "-c", query).strip().splitlines()[-1])
                done = [r for r in rows if r[0] in ("graded", "failed", "error")]
                print(f"{time.time() - queued_at:6.1f} s: {len(done)}/{len(rows)} finished", flush=True)
                if len(done) == len(rows):
                    break
                time.sleep(5)
        finally:
            stack.stop()
    failed = [r for r in rows if r[0] != "graded"]
    first, last = min(r[1] for r in rows), max(r[2] for r in rows)
    busy = sum(r[2] - r[1] for r in rows) / (args.concurrency * (last - first))
    per_min = len(rows) / (last - first) * 60
    print(f"{len(rows)} notebooks, {len(failed)} not graded, concurrency {args.concurrency}: "
          f"{last - first:.1f} s from first claim to last result; mean job {sum(r[2] - r[1] for r in rows) / len(rows):.2f} s")
    print(f"notebooks_per_min={per_min:.1f} pool_busy={busy:.3f}")


if __name__ == "__main__":
    main()
