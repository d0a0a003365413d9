"""The grading floor: cores the web never runs on, which every grading job may use
(grader/cores.py). Shown by the affinities the processes get, never by timing."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from grader.cores import reserved_count, split
from grader.limits import Limits
from grader.sandbox import command, job_cores, uid_slot

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("cores, web, reserved", [
    (1, [0], []),  # nothing to split: pages first, grading waits
    (2, [0, 1], []),  # a reserve would halve the web: an operator's choice (a number), not the default
    (4, [0, 1, 2], [3]),
    (8, [0, 1, 2, 3, 4, 5], [6, 7]),
])
def test_auto_keeps_a_quarter_of_the_cores_rounded_down_from_the_web(cores, web, reserved):
    assert split(list(range(cores)), "auto") == type(split([0], "auto"))(web=web, reserved=reserved)


def test_a_number_of_reserved_cores_leaves_the_web_at_least_one_and_zero_turns_the_floor_off():
    assert reserved_count(8, "3") == 3
    assert reserved_count(2, "5") == 1
    assert reserved_count(8, "0") == 0 and split([0, 1], "0").web == [0, 1]
    assert split([2, 5, 7, 9], "auto").reserved == [9]  # of the cores the process may use, not 0..n-1


@pytest.mark.parametrize("affinity, slot, expected", [
    ({0}, 0, [0]),
    ({0, 1}, 0, [0, 1]),  # its own core, and the reserve when the pages take it
    ({0, 1}, 1, [1]),
    (set(range(8)), 2, [2, 6, 7]),
])
def test_a_job_runs_on_its_slots_core_and_the_reserved_ones(monkeypatch, settings, tmp_path, affinity, slot, expected):
    import grader.sandbox

    settings.GRADING_RESERVED_CORES = "1" if len(affinity) == 2 else "auto"
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(affinity))
    monkeypatch.setattr(grader.sandbox, "uid_slot", lambda: slot)
    assert job_cores() == expected
    with command(tmp_path, {}, Limits.from_settings(), 3, 4, 5) as (argv, _):
        assert argv[argv.index("--cpu-list") + 1] == ",".join(map(str, expected))
    settings.GRADER_PIN_CPU = False
    assert job_cores() is None


def test_a_job_of_this_host_is_allowed_the_reserve(settings):
    settings.GRADING_RESERVED_CORES = "1"
    cores = sorted(os.sched_getaffinity(0))
    assert set(split(cores, "1").reserved) <= set(job_cores())
    assert cores[uid_slot() % len(cores)] in job_cores()


@pytest.mark.parametrize("setting", ["auto", "1", "0"])
def test_every_web_process_keeps_off_the_reserved_cores(tmp_path, setting):
    """What gunicorn's workers do as they load config.wsgi, in a process of their own."""
    env = {**os.environ, "GRADING_RESERVED_CORES": setting, "DJANGO_SETTINGS_MODULE": "config.settings",
           "VAR_DIR": str(tmp_path), "SECRET_KEY": "x" * 50}
    out = subprocess.run([sys.executable, "-c", "import os, config.wsgi; print(sorted(os.sched_getaffinity(0)))"],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split("\n")[-2] == str(split(sorted(os.sched_getaffinity(0)), setting).web)
