"""Kernel-counted limits for each job: a cgroup v2 delegated to the grader, or cgroup v1.

The watchdog (grader/watchdog.py) and rlimits work everywhere. Where the grader owns
a cgroup v2 subtree, each job also gets a cgroup of its own under it, with
memory.max (the job's memory limit, counted by the kernel, kernel memory included),
pids.max and the lowest cpu.weight. The host's cgroups are never touched: a cgroup is
used only if it was delegated to us, which is one of

- GRADER_CGROUP set to its path by the operator (e.g. a systemd unit with
  Delegate=yes, the worker running in a leaf below it), or
- with GRADER_CGROUP=auto (the default), the parent of this process's own cgroup,
  when it is marked as delegated (systemd sets the `trusted.delegate` or
  `user.delegate` attribute) or is the root of a cgroup namespace that is not the
  host's (a container that owns its cgroup).

Either way it must not be the host's root cgroup, must offer the memory and pids
controllers, be writable by us, and hold no process itself (cgroup v2 puts
processes only in leaves once controllers are enabled below a cgroup).

Where no cgroup v2 is delegated, a worker running as root on a host with cgroup v1's
memory controller (as container runtimes mount it) uses that instead (GRADER_CGROUP=auto):
each job gets a memory cgroup of its own under `coursework-grader`, a cgroup the grader
makes below the worker's own memory cgroup (so whatever limit the host puts on the worker
still covers its jobs, and no cgroup of the host's is changed or joined), and likewise a
pids cgroup when that controller is mounted. Measured on kernel 6.18 (docs/grading.md,
"Kernel memory"): v1 charges a job's kernel memory (AF_UNIX socket buffers, inodes and
dentries, page tables) to memory.usage_in_bytes, so memory.limit_in_bytes covers it; TCP
buffers are charged only to a counter of their own, and only once it has a limit, so
memory.kmem.tcp.limit_in_bytes is set too (TCP_SHARE of the job's limit: the zmq traffic
between the kernel and its client needs little). When the kernel's OOM killer acts in a
job's cgroup the job has run out of memory: the runner ends it as "memory".

Where neither can be used, the watchdog and rlimits are all there is: the watchdog counts
the files on the job's tmpfs mounts, RLIMIT_NOFILE bounds descriptors per process, but
socket buffers are bounded by nothing the grader controls. The start-up log and /health/
say which mode a host runs in.
"""
from __future__ import annotations

import functools
import logging
import os
import secrets
import signal
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from . import sandbox
from .errors import SystemFault
from .watchdog import MB

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Mode:
    path: Path | None  # the cgroup jobs go under (v1: the memory controller's); None: no cgroup limits
    reason: str  # why, for the log
    version: int = 2
    pids_path: Path | None = None  # v1 only: the pids controller's parent, if it is mounted

    @property
    def name(self) -> str:
        if self.path is None:
            return ("watchdog and rlimits only (no usable cgroup: socket buffers are not bounded, "
                    "files on the job's tmpfs are counted by the watchdog)")
        if self.version == 1:
            return f"cgroup v1 (memory{' and pids' if self.pids_path else ''} controller, made by the grader)"
        return "delegated cgroup v2"


def cgroup2_mount(mountinfo: str) -> tuple[Path, str] | None:
    """(mount point, root within the hierarchy) of the cgroup v2 hierarchy, if mounted."""
    for line in mountinfo.splitlines():
        before, _, after = line.partition(" - ")
        if after.split()[:1] == ["cgroup2"]:
            fields = before.split()
            return Path(fields[4]), fields[3]
    return None


def own_cgroup(proc_cgroup: str) -> str | None:
    for line in proc_cgroup.splitlines():
        if line.startswith("0::"):
            return line[3:]
    return None


def _delegated_mark(path: Path) -> bool:
    for name in ("trusted.delegate", "user.delegate"):
        try:
            if os.getxattr(path, name).strip() == b"1":
                return True
        except OSError:
            pass
    return False


def _unusable(path: Path) -> str | None:
    """Why the cgroup at `path` cannot hold the jobs' cgroups, or None if it can."""
    if not (path / "memory.max").exists():
        return f"{path} is the root of the hierarchy, which belongs to the host"
    controllers = (path / "cgroup.controllers").read_text().split()
    missing = [c for c in ("memory", "pids") if c not in controllers]
    if missing:
        return f"{path} does not offer the {' and '.join(missing)} controller"
    if not os.access(path, os.W_OK) or not os.access(path / "cgroup.subtree_control", os.W_OK):
        return f"{path} is not writable by this process"
    if (path / "cgroup.procs").read_text().strip():
        return f"{path} holds processes itself, so it cannot enable controllers for the jobs below it"
    return None


def detect(setting: str, proc_cgroup: str, mountinfo: str) -> Mode:
    """Which cgroup, if any, the jobs' cgroups go under (see the module's docstring)."""
    if setting == "off":
        return Mode(None, "GRADER_CGROUP=off")
    mount = cgroup2_mount(mountinfo)
    if mount is None:
        return detect_v1(setting, proc_cgroup, mountinfo, "no cgroup v2 hierarchy is mounted")
    mount_point, _ = mount
    if setting != "auto":
        path = Path(setting)
        if not path.is_dir():
            return Mode(None, f"GRADER_CGROUP={setting} is not a cgroup directory")
        reason = _unusable(path)
        return Mode(None, reason) if reason else Mode(path, f"GRADER_CGROUP={setting}")
    own = own_cgroup(proc_cgroup)
    if own is None:
        return detect_v1(setting, proc_cgroup, mountinfo, "this process is in no cgroup v2 cgroup")
    if own.strip("/") == "":
        return detect_v1(setting, proc_cgroup, mountinfo,
                         "this process is in the root cgroup of the v2 hierarchy: nothing is delegated")
    parent = (mount_point / own.strip("/")).parent
    namespace_root = parent == mount_point  # our cgroup namespace's root: a container's own cgroup
    if not namespace_root and not _delegated_mark(parent):
        return detect_v1(setting, proc_cgroup, mountinfo,
                         f"{parent} is not marked as delegated (no trusted.delegate or user.delegate)")
    reason = _unusable(parent)
    return detect_v1(setting, proc_cgroup, mountinfo, reason) if reason else Mode(parent, "delegated to this service")


V1_PARENT = "coursework-grader"


def cgroup1_mount(mountinfo: str, controller: str) -> tuple[Path, str] | None:
    """(mount point, root within the hierarchy) of the cgroup v1 hierarchy with `controller`."""
    for line in mountinfo.splitlines():
        before, _, after = line.partition(" - ")
        fields = after.split()
        if fields[:1] == ["cgroup"] and len(fields) >= 3 and controller in fields[2].split(","):
            parts = before.split()
            return Path(parts[4]), parts[3]
    return None


def own_cgroup_v1(proc_cgroup: str, controller: str) -> str | None:
    for line in proc_cgroup.splitlines():
        _, controllers, path = line.split(":", 2)
        if controller in controllers.split(","):
            return path
    return None


def _v1_parent(proc_cgroup: str, mountinfo: str, controller: str) -> Path | None:
    """Where our jobs' cgroups of this v1 controller go: `coursework-grader` below this
    process's own cgroup (made when first used), or None if the controller is not mounted."""
    mount = cgroup1_mount(mountinfo, controller)
    own = own_cgroup_v1(proc_cgroup, controller)
    if mount is None or own is None:
        return None
    mount_point, root = mount
    own = own[len(root.rstrip("/")):] if root != "/" and own.startswith(root) else own
    return mount_point / own.strip("/") / V1_PARENT


def detect_v1(setting: str, proc_cgroup: str, mountinfo: str, why_not_v2: str, euid: int | None = None) -> Mode:
    """cgroup v1 (see the module's docstring), only with GRADER_CGROUP=auto, as root, with
    the memory controller mounted and our own memory cgroup writable."""
    if setting != "auto":
        return Mode(None, why_not_v2)
    parent = _v1_parent(proc_cgroup, mountinfo, "memory")
    if parent is None:
        return Mode(None, f"{why_not_v2}; no cgroup v1 memory controller is mounted")
    if (os.geteuid() if euid is None else euid) != 0:
        return Mode(None, f"{why_not_v2}; cgroup v1 is used only by a worker running as root")
    own = parent.parent
    if not (own / "memory.limit_in_bytes").exists() or not (own / "memory.oom_control").exists():
        return Mode(None, f"{why_not_v2}; {own} is not a cgroup v1 memory cgroup")
    if not os.access(own, os.W_OK):
        return Mode(None, f"{why_not_v2}; {own} is not writable by this process")
    pids = _v1_parent(proc_cgroup, mountinfo, "pids")
    pids = pids if pids is not None and os.access(pids.parent, os.W_OK) else None
    return Mode(parent, f"{why_not_v2}; cgroup v1 below this worker's own memory cgroup {own}", version=1,
                pids_path=pids)


@functools.lru_cache(maxsize=1)
def mode() -> Mode:
    """Detected once per process, and logged."""
    with open("/proc/self/cgroup") as fh:
        proc_cgroup = fh.read()
    with open("/proc/self/mountinfo") as fh:
        mountinfo = fh.read()
    found = detect(settings.GRADER_CGROUP, proc_cgroup, mountinfo)
    log.info("grading resource limits: %s (%s)", found.name, found.reason)
    return found


# Started first in the job's command: waits until the worker has put it in the job's
# cgroup, then becomes the rest of the command, so everything the job starts is inside.
WAIT_FOR_CGROUP = (
    "import os, sys; fd = int(sys.argv[1]); go = os.read(fd, 1); os.close(fd); "
    "go == b'1' or sys.exit('not admitted to the job cgroup'); os.execv(sys.argv[2], sys.argv[2:])"
)


class JobCgroup:
    """One job's cgroup: created with its limits, the job's first process admitted
    before it starts anything, removed once the job is over."""

    def __init__(self, parent: Path, limits: sandbox.Limits):
        self.path = parent / job_name()
        enable = " ".join(f"+{c}" for c in ("memory", "pids", "cpu") if c in (parent / "cgroup.controllers").read_text().split())
        (parent / "cgroup.subtree_control").write_text(enable)
        self.path.mkdir()
        (self.path / "memory.max").write_text(str(limits.memory_mb * MB))
        if (self.path / "memory.swap.max").exists():
            (self.path / "memory.swap.max").write_text("0")
        (self.path / "pids.max").write_text(str(limits.processes))
        if (self.path / "cpu.weight").exists():
            (self.path / "cpu.weight").write_text("1")
        self._read, self._write = os.pipe()

    @property
    def paths(self) -> tuple[Path, ...]:
        return (self.path,)

    @property
    def fds(self) -> tuple[int, ...]:
        return (self._read,)

    def wrap(self, argv: list[str]) -> list[str]:
        return [str(sandbox.kernel_python()), "-I", "-S", "-c", WAIT_FOR_CGROUP, str(self._read), *argv]

    def close_child_fds(self) -> None:
        if self._read >= 0:
            os.close(self._read)
            self._read = -1

    def admit(self, pid: int) -> None:
        """Move the waiting first process in, then let it go on (or, if it cannot be
        moved, let it exit without starting the job)."""
        try:
            for path in self.paths:
                (path / "cgroup.procs").write_text(str(pid))
            os.write(self._write, b"1")
        except OSError as exc:
            raise SystemFault(f"could not put the job in its cgroup {self.path}: {exc}") from exc
        finally:
            os.close(self._write)

    def oom_kills(self) -> int:
        """How many of the job's processes the kernel killed at the cgroup's memory limit."""
        return _oom_kills(self.path / "memory.events")

    def peak_mb(self) -> float | None:
        """The most the kernel counted the job holding, kernel memory included (None: unknown)."""
        try:
            return int((self.path / "memory.peak").read_text()) / MB
        except (OSError, ValueError):
            return None

    def describe(self) -> str:
        """For the TA's log: what the kernel counted."""
        peak = self.peak_mb()
        return f"cgroup peak {peak:.0f} MB, {self.oom_kills()} killed at its limit" if peak is not None else ""

    def remove(self) -> None:
        for path in self.paths:
            _remove(path)


class JobCgroupV1(JobCgroup):
    """A job's cgroups on cgroup v1: memory (with its kernel and TCP memory), and pids
    when that controller is mounted. See the module's docstring."""

    def __init__(self, mode: Mode, limits: sandbox.Limits):
        name = job_name()
        self.path = mode.path / name
        self.pids = mode.pids_path / name if mode.pids_path else None
        limit = limits.memory_mb * MB
        made = []
        try:
            for path in filter(None, (self.path, self.pids)):
                path.mkdir(parents=True)
                made.append(path)
            # The limit first: memsw may never be below it.
            (self.path / "memory.limit_in_bytes").write_text(str(limit))
            if (self.path / "memory.memsw.limit_in_bytes").exists():
                (self.path / "memory.memsw.limit_in_bytes").write_text(str(limit))  # no swap either
            if (self.path / "memory.kmem.tcp.limit_in_bytes").exists():
                (self.path / "memory.kmem.tcp.limit_in_bytes").write_text(str(tcp_limit(limits)))
            if (self.path / "memory.swappiness").exists():
                (self.path / "memory.swappiness").write_text("0")
            if self.pids:
                (self.pids / "pids.max").write_text(str(limits.processes))
        except OSError as exc:
            for path in made:
                _remove(path)
            raise SystemFault(f"could not make the job's cgroup {self.path}: {exc}") from exc
        self._read, self._write = os.pipe()

    @property
    def paths(self) -> tuple[Path, ...]:
        return tuple(filter(None, (self.path, self.pids)))

    def oom_kills(self) -> int:
        return _oom_kills(self.path / "memory.oom_control")

    def peak_mb(self) -> float | None:
        try:
            return int((self.path / "memory.max_usage_in_bytes").read_text()) / MB
        except (OSError, ValueError):
            return None


# TCP buffers have a counter of their own on cgroup v1, outside memory.limit_in_bytes:
# this share of the job's limit (at least TCP_MIN) is all they may hold, so a job's
# whole charge stays within 1 + TCP_SHARE of its limit.
TCP_SHARE = 8
TCP_MIN = 16 * MB


def tcp_limit(limits: sandbox.Limits) -> int:
    return max(TCP_MIN, limits.memory_mb * MB // TCP_SHARE)


def _pid_namespace() -> str:
    """This process's pid namespace, by inode: a pid means something only inside it."""
    return str(os.stat("/proc/self/ns/pid").st_ino)


def job_name() -> str:
    """job-<pid namespace>-<the worker's pid>-<random>: the pid tells a leftover of a dead
    worker (remove_leftovers), and the namespace that the pid is one of ours to look up
    (a cgroup hierarchy can be shared by containers whose pids mean other processes)."""
    return f"job-{_pid_namespace()}-{os.getpid()}-{secrets.token_hex(4)}"


def _oom_kills(path: Path) -> int:
    """The `oom_kill` count of memory.events (v2) or memory.oom_control (v1)."""
    try:
        for line in path.read_text().splitlines():
            key, _, value = line.partition(" ")
            if key == "oom_kill":
                return int(value)
    except (OSError, ValueError):
        pass
    return 0


def _remove(path: Path) -> None:
    """Remove a job's cgroup; any process still in it (which the runner has already killed,
    or one left by a worker that died) is killed first. The kernel may take a moment to
    let go of the last exited tasks, hence the retries."""
    for attempt in range(50):
        try:
            path.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError as exc:
            if attempt == 49:
                log.warning("could not remove the job cgroup %s: %s", path, exc)
                return
        try:
            for pid in (path / "cgroup.procs").read_text().split():
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except (ProcessLookupError, ValueError):
                    pass
        except OSError:
            pass
        time.sleep(0.02)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_leftovers(parent: Path) -> list[Path]:
    """Remove the job cgroups under `parent` whose worker is gone (it died mid-job, before
    it could remove them); those of live workers, on this host or in other checkouts, stay."""
    removed, namespace = [], _pid_namespace()
    try:
        entries = list(parent.iterdir())
    except OSError:
        return removed
    for path in entries:
        parts = path.name.split("-")
        if (path.is_dir() and len(parts) == 4 and parts[0] == "job" and parts[1] == namespace
                and parts[2].isdigit() and not _alive(int(parts[2]))):
            _remove(path)
            removed.append(path)
    return removed


@functools.lru_cache(maxsize=1)
def prepared() -> Mode:
    """The mode, with (on cgroup v1) the parents made and dead workers' leftovers removed:
    once per process, at the worker's start and before its first job."""
    found = mode()
    if found.path is not None and found.version == 1:
        for parent in filter(None, (found.path, found.pids_path)):
            parent.mkdir(exist_ok=True)
            for path in remove_leftovers(parent):
                log.info("removed the job cgroup %s of a worker that is gone", path)
    return found


def job_cgroup(limits: sandbox.Limits) -> JobCgroup | None:
    found = prepared()
    if found.path is None:
        return None
    return JobCgroupV1(found, limits) if found.version == 1 else JobCgroup(found.path, limits)
