"""What a notebook that hoards kernel memory takes from the host, per way of bounding it.

Runs the red team's two notebooks (tests/grader/test_kernel_memory.py: two processes
filling 200 socket pairs each; a million empty files with long names) through the real
sandbox with a 384 MB job limit, each under each mode, the modes alternated in every
round (the host is shared and noisy), and prints how far the host's MemAvailable fell
(sampled every 20 ms from outside), how the job ended and what the kernel counted:

- cgroup: GRADER_CGROUP=auto (cgroup v1 on a root worker here, grader/cgroups.py);
- watchdog: GRADER_CGROUP=off, the watchdog and rlimits only (it counts tmpfs inodes);
- before: GRADER_CGROUP=off and the watchdog's inode count off (INODE_BYTES=0), as the
  grader was before issue 26 on a host without a delegated cgroup v2.

Run as root from the checkout (about 3.5 GB of the host's memory is taken by the
unbounded runs):

    .venv/bin/python benchmarks/kernel_memory.py [--rounds 1] [--only sockets|files]
"""
from __future__ import annotations

import argparse
import os
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

LIMIT_MB = 384


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--only", choices=("sockets", "files"))
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings

    from grader import cgroups, pipeline, runner, watchdog
    from grader.limits import Limits
    from tests.support.kernel_memory import FILES, PREDICT, SOCKETS, LowestAvailable
    from tests.support.notebooks import notebook

    seen = {}
    run_harness = runner.run_harness

    def spy(*a, **k):
        outcome = run_harness(*a, **k)
        seen["detail"] = outcome.memory_detail
        return outcome

    pipeline.run_harness = spy
    inode_bytes = watchdog.INODE_BYTES
    modes = {"cgroup": ("auto", inode_bytes), "watchdog": ("off", inode_bytes), "before": ("off", 0)}
    attacks = {"sockets": SOCKETS, "files": FILES}
    for _ in range(args.rounds):
        for attack, source in attacks.items():
            if args.only and attack != args.only:
                continue
            for name, (setting, per_inode) in modes.items():
                settings.GRADER_CGROUP = setting
                watchdog.INODE_BYTES = per_inode
                cgroups.mode.cache_clear()
                cgroups.prepared.cache_clear()
                job_dir = Path(settings.GRADER_WORK_ROOT) / f"bench-{uuid.uuid4().hex}"
                watch = LowestAvailable()
                watch.start()
                started = time.monotonic()
                result = pipeline.grade_notebook_bytes(
                    notebook(source, PREDICT), job_dir,
                    Limits.from_settings({"memory_mb": LIMIT_MB, "address_space_mb": 2048, "disk_mb": 512,
                                          "cell_timeout_s": 30, "total_timeout_s": 240}))
                fall = watch.fall_mb()
                mistake = ((result.feedback or {}).get("failure") or {}).get("mistake") or {}
                print(f"{attack:8} {name:9} host MemAvailable fell {fall:6.0f} MB  ended {result.status}/"
                      f"{mistake.get('key', '-')} in {time.monotonic() - started:4.0f} s  [{seen.get('detail', '')}]",
                      flush=True)
                time.sleep(2)  # let the kernel free what the last job held before the next baseline


if __name__ == "__main__":
    main()
