"""The time a job is charged for: wall time minus the time it waited for a CPU that
something outside the job held. Runs INSIDE the sandbox (imported by run_notebook.py).

A job runs at nice 19, in autogroups at nice 19, so on a busy host it can get 1% of a
core; charging it wall-clock time charged the host's load to the student (an honest
20 s notebook failed its 45 s limit after 227 s). Two other measures were weighed:

- CPU time alone: a cell that sleeps, or blocks on I/O, would then never reach its
  limit; that waiting is the student's choice and is charged.
- wall time minus every thread's run-queue wait: a notebook that starts a few busy
  processes makes them wait for each other, on its own core, and would be charged
  nothing. Waiting for your own processes is your time.

So, over each interval between two samples (dt of wall time):

    starved = min(W, max(0, dt - R))      charged = dt - starved

W is the run-queue wait of every thread of the job (the second field of
/proc/<pid>/task/<tid>/schedstat), R the CPU time of every process of the job (utime,
stime and what its reaped children used: /proc/<pid>/stat). Time a thread of the job
was runnable while none of the job's ran is time something else held the CPU: not
charged. Time all its threads slept or blocked is charged, and so is time one of its
own processes ran while another waited. A sleeping cell is charged its wall time; a
CPU-bound cell on an idle host its wall time; the same cell starved by the host little
more than its CPU time.

Which errors are safe: a thread that exits between samples takes its wait with it (W
too small: the job is charged more). CPU time is conserved across exits, because a
parent reaping a child adds the child's whole time to its own (and pid 1 reaps orphans),
so R misses only children reaped automatically (SIGCHLD ignored or SA_NOCLDWAIT): a
notebook that does that and forks short busy children can hide their time, and is
charged less than it used. The wall-clock backstop (several times the total limit)
still stops it; docs/grading.md says what that costs.

Where the kernel keeps no schedstat (CONFIG_SCHED_INFO off), W is 0: charged time is
wall time, as before.
"""
from __future__ import annotations

import os
import time
from typing import Callable, Iterable

TICKS = os.sysconf("SC_CLK_TCK")


def namespace_pids() -> list[int]:
    """Every process in /proc: inside the sandbox, that is the job's pid namespace."""
    return [int(name) for name in os.listdir("/proc") if name.isdigit()]


def tree_pids(root: int) -> Callable[[], list[int]]:
    """The processes under `root` (itself included), for a harness run unconfined
    (GRADER_SANDBOX=none, development only), whose /proc is the whole host's."""
    def find() -> list[int]:
        parents = {}
        for pid in namespace_pids():
            try:
                with open(f"/proc/{pid}/stat", "rb") as fh:
                    parents[pid] = int(fh.read().rsplit(b")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                pass
        found, frontier = [root], [root]
        while frontier:
            frontier = [pid for pid, parent in parents.items() if parent in frontier]
            found += frontier
        return found
    return find


def read_job(pids: Iterable[int]) -> tuple[float, dict[tuple[int, int], float]]:
    """(CPU seconds of these processes and of the children they reaped, {(pid, tid): run-queue
    wait in seconds}) as /proc has them now; a process that ends while it is read is skipped."""
    cpu, waits = 0.0, {}
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat", "rb") as fh:
                fields = fh.read().rsplit(b")", 1)[1].split()
            # utime, stime, cutime, cstime: fields 14-17 of stat(5), 11-14 after the name
            cpu += sum(int(value) for value in fields[11:15]) / TICKS
            for tid in os.listdir(f"/proc/{pid}/task"):
                try:
                    with open(f"/proc/{pid}/task/{tid}/schedstat", "rb") as fh:
                        waits[(pid, int(tid))] = int(fh.read().split()[1]) / 1e9
                except (OSError, IndexError, ValueError):
                    pass
        except (OSError, IndexError, ValueError):
            pass
    return cpu, waits


class ChargedClock:
    """Seconds of charged time since it was made; each call of now() takes a sample.

    Sample often enough for the limits it keeps (the harness: every quarter second while a
    cell runs); a long interval between samples is still counted, only more coarsely."""

    def __init__(self, pids: Callable[[], Iterable[int]] = namespace_pids,
                 read: Callable[[Iterable[int]], tuple[float, dict]] = read_job,
                 wall: Callable[[], float] = time.monotonic):
        self._pids, self._read, self._wall = pids, read, wall
        self._at = wall()
        self._cpu, self._waits = read(pids())
        self.charged = 0.0
        self.starved = 0.0  # wall time not charged: waiting for a CPU held outside the job

    def now(self) -> float:
        at = self._wall()
        cpu, waits = self._read(self._pids())
        dt = max(0.0, at - self._at)
        # A thread seen before counts what it waited since; a new one all it waited (it was
        # born in this interval). An automatically reaped child can make the sum of CPU
        # shrink: then nothing ran, as far as we can tell.
        waited = sum(max(0.0, wait - self._waits.get(key, 0.0)) for key, wait in waits.items())
        ran = max(0.0, cpu - self._cpu)
        starved = min(waited, max(0.0, dt - ran), dt)
        self.starved += starved
        self.charged += dt - starved
        self._at, self._cpu, self._waits = at, cpu, waits
        return self.charged
