"""The memory watchdog's sums, seen on processes this test starts (no sandbox needed)."""
import os
import shlex
import subprocess
import sys
import time

from grader.watchdog import (
    FAULT_RATE, MAX_INTERVAL_S, MIN_INTERVAL_S, MB, MemoryWatchdog, Sample, descendants_of, open_memfds, process_pss,
    tmpfs_used,
)

HOLD = "import sys, time; hoard = bytearray({mb} << 20); print('ready', flush=True); time.sleep(60)"


def _holding(mb: int) -> subprocess.Popen:
    child = subprocess.Popen([sys.executable, "-c", HOLD.format(mb=mb)], stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "ready"
    return child


def test_a_process_pss_counts_the_memory_it_touched():
    child = _holding(64)
    try:
        assert 64 * MB < process_pss(child.pid) < 128 * MB
    finally:
        child.kill()
        child.wait()
    assert process_pss(child.pid) == 0  # gone: nothing, no error


def test_a_memfd_is_counted_once_however_many_descriptors_hold_it():
    fd = os.memfd_create("watchdog-test")
    try:
        os.write(fd, b"x" * (8 * MB))
        twin = os.dup(fd)
        try:
            held = open_memfds(os.getpid())
            assert list(held.values()) == [8 * MB]
        finally:
            os.close(twin)
    finally:
        os.close(fd)


def test_a_mount_that_is_not_one_of_the_sandboxes_tmpfs_is_not_counted():
    # While bwrap is still setting up, a process's root is the host's: its /tmp must not count.
    assert tmpfs_used(os.getpid(), ("/tmp",), 64 * MB) is None
    assert tmpfs_used(os.getpid(), (), 64 * MB) == 0


def test_the_watchdog_sums_every_process_of_the_job_and_trips_past_the_limit():
    hold = f"{sys.executable} -c {shlex.quote(HOLD.format(mb=40))}"
    shell = subprocess.Popen(["sh", "-c", f"{hold} & {hold} & wait"], stdout=subprocess.PIPE, text=True)
    try:
        said = ""
        while said.count("ready") < 2:  # the two children share the pipe: their lines may interleave
            said += shell.stdout.readline()
        watchdog = MemoryWatchdog(64 * MB, lambda: descendants_of(shell.pid), shell.pid, mounts=(), mount_size=0)
        sample = watchdog.sample()
        assert sample.count == 3 and sample.processes > 80 * MB
        assert watchdog.exceeded and watchdog.peak == sample
    finally:
        for pid in descendants_of(shell.pid)[::-1]:
            os.kill(pid, 9)
        shell.wait()


def test_the_watchdog_samples_more_often_as_the_job_nears_its_limit():
    usage = [0]
    watchdog = MemoryWatchdog(1024 * MB, lambda: [], 0, mounts=(), mount_size=0)
    watchdog._tmpfs = lambda pids: usage[0]  # the job's memory, as the test sets it
    watchdog.sample()
    far = watchdog._next - time.monotonic()
    usage[0] = 1020 * MB
    watchdog.sample()
    near = watchdog._next - time.monotonic()
    assert MIN_INTERVAL_S * 0.5 < near < far <= MAX_INTERVAL_S
    assert not watchdog.exceeded and watchdog.peak.total == 1020 * MB
    assert 4 * MB / FAULT_RATE < MIN_INTERVAL_S  # so near the limit the floor applies


def test_a_sample_totals_processes_tmpfs_and_memfds():
    assert Sample(processes=1, tmpfs=2, memfd=4, count=1).total == 7
