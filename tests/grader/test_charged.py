"""Charged time (grader/harness/charged.py): wall time minus waiting for a CPU the host held."""
import subprocess
import sys

import pytest

from grader.harness.charged import ChargedClock, read_job, tree_pids


class FakeJob:
    """A job whose /proc readings and wall clock the test moves by hand."""

    def __init__(self):
        self.wall, self.cpu, self.waits = 100.0, 0.0, {}

    def clock(self) -> ChargedClock:
        return ChargedClock(pids=lambda: [1], read=lambda pids: (self.cpu, dict(self.waits)), wall=lambda: self.wall)

    def passes(self, seconds, ran=0.0, waited=None):
        """`seconds` of wall time in which the job ran `ran` s of CPU and its threads waited
        {tid: seconds} in the run queue."""
        self.wall += seconds
        self.cpu += ran
        for tid, wait in (waited or {}).items():
            self.waits[tid] = self.waits.get(tid, 0.0) + wait


def test_a_sleeping_job_is_charged_its_wall_time():
    job = FakeJob()
    clock = job.clock()
    job.passes(5.0)
    assert clock.now() == pytest.approx(5.0) and clock.starved == 0


def test_a_job_running_on_an_idle_core_is_charged_its_wall_time():
    job = FakeJob()
    clock = job.clock()
    job.passes(5.0, ran=5.0)
    assert clock.now() == pytest.approx(5.0)


def test_a_job_starved_by_the_host_is_charged_only_its_running_time():
    job = FakeJob()
    clock = job.clock()
    for _ in range(10):
        job.passes(1.0, ran=0.02, waited={(1, 1): 0.98})
        clock.now()
    assert clock.now() == pytest.approx(0.2) and clock.starved == pytest.approx(9.8)


def test_processes_of_the_job_waiting_for_each_other_are_charged():
    """Four busy processes on one core: each waits three quarters of the time, for the
    others. That is the notebook's own doing."""
    job = FakeJob()
    clock = job.clock()
    job.passes(1.0, ran=1.0, waited={(pid, pid): 0.75 for pid in (1, 2, 3, 4)})
    assert clock.now() == pytest.approx(1.0)


def test_a_busy_job_sharing_its_core_with_the_host_is_charged_its_share_and_its_own_waits():
    job = FakeJob()
    clock = job.clock()
    job.passes(1.0, ran=0.5, waited={(pid, pid): 0.8 for pid in (1, 2, 3, 4)})
    assert clock.now() == pytest.approx(0.5)


def test_waiting_in_part_of_an_interval_and_sleeping_in_the_rest_charges_the_sleep():
    job = FakeJob()
    clock = job.clock()
    job.passes(2.0, ran=0.1, waited={(1, 1): 0.4})
    assert clock.now() == pytest.approx(1.6)


def test_a_thread_born_between_samples_counts_all_its_waiting():
    job = FakeJob()
    clock = job.clock()
    job.passes(1.0, waited={(1, 7): 0.9})  # (1, 7) was not there at the first sample
    assert clock.now() == pytest.approx(0.1)


def test_cpu_time_that_disappears_counts_as_nothing_run_never_as_negative():
    """A child reaped automatically takes its CPU time with it: the sum shrinks."""
    job = FakeJob()
    job.cpu = 3.0
    clock = job.clock()
    job.passes(1.0, ran=-2.0, waited={(1, 1): 0.5})
    assert clock.now() == pytest.approx(0.5)


def test_charged_time_never_runs_faster_than_the_wall_clock():
    job = FakeJob()
    clock = job.clock()
    job.passes(1.0, ran=3.0)  # three cores' worth (unpinned)
    assert clock.now() == pytest.approx(1.0)


def test_the_readings_of_a_real_process_tree_keep_a_childs_cpu_time_after_it_is_reaped():
    burn = "import time\nend = time.process_time() + 0.3\nwhile time.process_time() < end: pass"
    parent = subprocess.Popen(
        [sys.executable, "-c", f"import subprocess, sys, time\nsubprocess.run([sys.executable, '-c', {burn!r}])\n"
                               "print('reaped', flush=True)\ntime.sleep(60)"], stdout=subprocess.PIPE)
    try:
        assert parent.stdout.readline() == b"reaped\n"
        pids = tree_pids(parent.pid)()
        cpu, waits = read_job(pids)
        assert pids == [parent.pid]  # the child is gone ...
        assert cpu >= 0.29  # ... and its time is its parent's
        assert (parent.pid, parent.pid) in waits  # the main thread's wait, by (pid, tid)
    finally:
        parent.kill()
        parent.wait()
