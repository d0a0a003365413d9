"""A job's memory, summed from the host's side, and the watchdog that stops it at its limit.

RLIMIT_AS bounds one process; a job can fork, and shared memory (/dev/shm, memfd)
is held by no process's address space at all. So the worker adds up, while the job
runs, everything the job holds:

- every process of the job: its proportional set size (PSS, from
  /proc/<pid>/smaps_rollup), which splits pages shared between processes among them,
  so a fork army's shared pages count once;
- what the job's tmpfs mounts hold (/submission, /tmp, /dev/shm), files deleted but
  still open included, read with statvfs through /proc/<pid>/root, and INODE_BYTES for
  every file there: an empty file holds no block but costs the kernel an inode and a
  dentry (measured on kernel 6.18: about 1.2 KB for a long name; a million empty files
  took 1.2 GB of slab that no block count showed);
- every memfd a process of the job has open, once per file (by device and inode).

A tmpfs file or memfd that is also mapped counts twice (as the file, and in the PSS
of the process that maps it): that errs toward stopping a job, never toward letting
one past its limit, and notebooks of this course rarely map shared memory.

Sampling is adaptive: every 200 ms while far below the limit, down to every 20 ms
near it, assuming the job cannot fault in memory faster than about 2 GB/s (it runs
on one core; measured here at about 1.5 GB/s for a bytearray in Python).

Each sample also puts the job's scheduling groups at the lowest priority. Where the kernel
schedules by autogroup (Debian's default), every session is weighed against every other
and nice only orders the processes within one: the kernel (which Jupyter starts in a
session of its own) or any process that calls setsid() would otherwise compete with the
web at full weight whatever its nice value. An autogroup's own nice can only be raised by
the job (lowering it needs CAP_SYS_NICE, which it does not have), so this lasts.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Callable

INODE_BYTES = 1024  # kernel memory an inode and its dentry take, charged per file on the job's tmpfs
FAULT_RATE = 2 * 1024**3  # bytes/s: how fast we assume one core can fill memory
MIN_INTERVAL_S, MAX_INTERVAL_S = 0.02, 0.2
MB = 1024 * 1024


@dataclass(frozen=True)
class Sample:
    processes: int  # bytes: PSS of the job's processes, summed
    tmpfs: int  # bytes held by its tmpfs mounts
    memfd: int  # bytes held by memfds its processes have open
    count: int  # processes seen

    @property
    def total(self) -> int:
        return self.processes + self.tmpfs + self.memfd


def processes_of(uid: int) -> list[tuple[int, str]]:
    """(pid, state letter) of every process of this uid."""
    found = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid == uid:
                    found.append((int(entry.name), _state(entry.name)))
            except (FileNotFoundError, ProcessLookupError, IndexError):
                pass
    return found


def _state(pid: str) -> str:
    with open(f"/proc/{pid}/stat", "rb") as fh:
        return fh.read().rsplit(b")", 1)[1].split()[0].decode()


def cpu_seconds(pids: list[int]) -> float:
    """CPU time these processes used, with what the children they reaped used (a child's
    time passes to its parent when it is reaped, and the sandbox's pid 1 reaps orphans)."""
    ticks, total = os.sysconf("SC_CLK_TCK"), 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat", "rb") as fh:
                total += sum(int(v) for v in fh.read().rsplit(b")", 1)[1].split()[11:15])  # utime..cstime
        except (OSError, IndexError, ValueError):
            pass
    return total / ticks


def descendants_of(root: int) -> list[int]:
    """Live processes under `root` (itself included): how a job is found when it runs
    as the worker's own uid (development machines), where the uid cannot tell it apart."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"/proc/{entry.name}/stat", "rb") as fh:
                    fields = fh.read().rsplit(b")", 1)[1].split()
                if fields[0] != b"Z":
                    children.setdefault(int(fields[1]), []).append(int(entry.name))
            except (FileNotFoundError, ProcessLookupError, IndexError):
                pass
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


AUTOGROUP_NICE = 19


def _autogroup(pid: int | str) -> tuple[str, int] | None:
    """(the autogroup's name, its nice), or None without autogroups (or the process gone)."""
    try:
        with open(f"/proc/{pid}/autogroup", "rb") as fh:
            name, _, nice = fh.read().split()  # b"/autogroup-123 nice 0"
        return name.decode(), int(nice)
    except (OSError, ValueError):
        return None


def lower_autogroups(pids: list[int]) -> int:
    """Set the autogroup of each of `pids` to the lowest priority, except our own (the
    worker's, which the outer bwrap process shares): returns how many were lowered."""
    ours = _autogroup("self")
    lowered = set()
    for pid in pids:
        group = _autogroup(pid)
        if group is None or (ours and group[0] == ours[0]) or group[1] >= AUTOGROUP_NICE or group[0] in lowered:
            continue
        try:
            with open(f"/proc/{pid}/autogroup", "w") as fh:
                fh.write(str(AUTOGROUP_NICE))
            lowered.add(group[0])
        except OSError:
            pass  # gone, or a worker without the right to (not root, not the job's uid): nice alone then
    return len(lowered)


def process_pss(pid: int) -> int:
    """Bytes: the process's PSS (anonymous, file and shared memory), 0 if it is gone."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as fh:
            for line in fh:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1]) * 1024
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        pass
    return 0


def open_memfds(pid: int) -> dict[tuple[int, int], int]:
    """{(device, inode): bytes allocated} of the memfds the process has open."""
    found = {}
    try:
        entries = list(os.scandir(f"/proc/{pid}/fd"))
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return found
    for entry in entries:
        try:
            if os.readlink(entry.path).startswith("/memfd:"):
                st = os.stat(entry.path)
                found[(st.st_dev, st.st_ino)] = st.st_blocks * 512
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            pass
    return found


def tmpfs_used(pid: int, mounts: tuple[str, ...], size: int) -> int | None:
    """Bytes the sandbox's tmpfs mounts hold (their files' inodes included), seen through the mount namespace of `pid`;
    None unless every mount there is one of ours (a tmpfs of exactly `size` bytes), as
    it is not while bwrap is still setting up, when its root is still the host's."""
    used = 0
    for mount in mounts:
        try:
            st = os.statvfs(f"/proc/{pid}/root{mount}")
        except OSError:
            return None
        if st.f_blocks * st.f_frsize != size:
            return None
        used += (st.f_blocks - st.f_bfree) * st.f_frsize + (st.f_files - st.f_ffree) * INODE_BYTES
    return used


class MemoryWatchdog:
    """Samples a job's memory when due; `exceeded` turns true at the first sample past the limit."""

    def __init__(self, limit_bytes: int, find_pids: Callable[[], list[int]], outer_pid: int,
                 mounts: tuple[str, ...], mount_size: int):
        self.limit = limit_bytes
        self.find_pids = find_pids
        self.outer_pid = outer_pid  # bwrap on the host side: its root is the host's
        self.mounts, self.mount_size = mounts, mount_size
        self.peak: Sample | None = None
        self.exceeded = False
        self.samples = 0
        self.sampling_seconds = 0.0
        self._next = 0.0
        self._inside: int | None = None  # a process inside the sandbox, to see its mounts through

    def due(self, now: float) -> bool:
        return now >= self._next

    def sample(self) -> Sample:
        started = time.monotonic()
        pids = self.find_pids()
        processes, memfds = 0, {}
        for pid in pids:
            processes += process_pss(pid)
            memfds.update(open_memfds(pid))
        tmpfs = self._tmpfs(pids)
        lower_autogroups(pids)
        sample = Sample(processes=processes, tmpfs=tmpfs, memfd=sum(memfds.values()), count=len(pids))
        if self.peak is None or sample.total > self.peak.total:
            self.peak = sample
        if sample.total > self.limit:
            self.exceeded = True
        finished = time.monotonic()
        self.samples += 1
        self.sampling_seconds += finished - started
        headroom = max(self.limit - sample.total, 0)
        self._next = finished + min(MAX_INTERVAL_S, max(MIN_INTERVAL_S, headroom / FAULT_RATE))
        return sample

    def _tmpfs(self, pids: list[int]) -> int:
        candidates = ([self._inside] if self._inside in pids else []) + [p for p in pids if p != self.outer_pid]
        for pid in candidates:
            used = tmpfs_used(pid, self.mounts, self.mount_size)
            if used is not None:
                self._inside = pid
                return used
        return 0
