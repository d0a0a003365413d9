"""What the memory watchdog costs a grading run.

Alternately grades the same notebook through the real sandbox with the watchdog on
and off (off: it never samples). The notebook keeps six processes alive (a busy
parent and five children holding 50 MB each) and does a fixed amount of numpy work,
so a sample has processes to read. Prints, side by side, the median wall time of a
run with and without the watchdog, and what one sample costs the worker.

    python benchmarks/watchdog_overhead.py [--rounds 5]

Last line: on_s=A off_s=B ratio=A/B sample_ms=M samples_per_s=R
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

WORK = '''
import os, time
import numpy as np
children = []
for _ in range(5):
    pid = os.fork()
    if pid == 0:
        hoard = bytearray(50 << 20)
        time.sleep(600)
        os._exit(0)
    children.append(pid)
rng = np.random.default_rng(0)
a = rng.standard_normal((300, 300))
started = time.monotonic()
for _ in range(400):
    a = np.tanh(a @ a.T / 300)
print(f"work took {time.monotonic() - started:.2f} s")
for pid in children:
    os.kill(pid, 9)
'''
PREDICT = "def predict(images):\n    return np.zeros(len(images), dtype=int)"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.conf import settings

    from grader import runner
    from grader.pipeline import grade_notebook_bytes
    from grader.sandbox import Limits
    from grader.watchdog import MemoryWatchdog
    from tests.support.notebooks import notebook

    watchdogs: list[MemoryWatchdog] = []
    real = runner.job_watchdog

    def recorded(outer_pid, limits):
        watchdogs.append(real(outer_pid, limits))
        return watchdogs[-1]

    runner.job_watchdog = recorded
    data = notebook(WORK, PREDICT)
    limits = Limits.from_settings({"cell_timeout_s": 300, "total_timeout_s": 600})
    times = {"on": [], "off": []}
    for round_ in range(args.rounds):
        for mode in ("on", "off"):
            MemoryWatchdog.due = (lambda self, now: now >= self._next) if mode == "on" else (lambda self, now: False)
            job = Path(settings.GRADER_WORK_ROOT) / f"bench-{uuid.uuid4().hex}"
            started = time.monotonic()
            result = grade_notebook_bytes(data, job, limits)
            times[mode].append(time.monotonic() - started)
            shutil.rmtree(job, ignore_errors=True)
            assert result.status == "graded", result.message
            print(f"round {round_ + 1} watchdog {mode}: {times[mode][-1]:.2f} s", flush=True)
    sampled = [w for w in watchdogs if w.samples]
    samples = sum(w.samples for w in sampled)
    sample_ms = 1000 * sum(w.sampling_seconds for w in sampled) / samples
    on, off = statistics.median(times["on"]), statistics.median(times["off"])
    rate = samples / sum(times["on"])
    print(f"{'':24}{'watchdog on':>14}{'watchdog off':>14}")
    print(f"{'median run (s)':24}{on:>14.2f}{off:>14.2f}")
    print(f"one sample: {sample_ms:.2f} ms over ~7 processes; {rate:.1f} samples/s; "
          f"{sample_ms * rate / 10:.2f}% of one core")
    print(f"on_s={on:.3f} off_s={off:.3f} ratio={on / off:.3f} sample_ms={sample_ms:.2f} samples_per_s={rate:.1f}")


if __name__ == "__main__":
    main()
