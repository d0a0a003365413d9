"""cgroup v2 limits for each job, where a cgroup has been delegated to the grader.

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
"""
from __future__ import annotations

import functools
import logging
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from . import sandbox
from .errors import SystemFault
from .watchdog import MB

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Mode:
    path: Path | None  # the delegated cgroup jobs go under; None: no cgroup limits
    reason: str  # why, for the log

    @property
    def name(self) -> str:
        return "delegated cgroup v2" if self.path else "watchdog and rlimits only (no delegated cgroup)"


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
        return Mode(None, "no cgroup v2 hierarchy is mounted")
    mount_point, _ = mount
    if setting != "auto":
        path = Path(setting)
        if not path.is_dir():
            return Mode(None, f"GRADER_CGROUP={setting} is not a cgroup directory")
        reason = _unusable(path)
        return Mode(None, reason) if reason else Mode(path, f"GRADER_CGROUP={setting}")
    own = own_cgroup(proc_cgroup)
    if own is None:
        return Mode(None, "this process is in no cgroup v2 cgroup")
    if own.strip("/") == "":
        return Mode(None, "this process is in the root cgroup of the v2 hierarchy: nothing is delegated")
    parent = (mount_point / own.strip("/")).parent
    namespace_root = parent == mount_point  # our cgroup namespace's root: a container's own cgroup
    if not namespace_root and not _delegated_mark(parent):
        return Mode(None, f"{parent} is not marked as delegated (no trusted.delegate or user.delegate)")
    reason = _unusable(parent)
    return Mode(None, reason) if reason else Mode(parent, "delegated to this service")


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
        self.path = parent / f"job-{os.getpid()}-{secrets.token_hex(4)}"
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
            (self.path / "cgroup.procs").write_text(str(pid))
            os.write(self._write, b"1")
        except OSError as exc:
            raise SystemFault(f"could not put the job in its cgroup {self.path}: {exc}") from exc
        finally:
            os.close(self._write)

    def remove(self) -> None:
        try:
            self.path.rmdir()
        except OSError as exc:
            log.warning("could not remove the job cgroup %s: %s", self.path, exc)


def job_cgroup(limits: sandbox.Limits) -> JobCgroup | None:
    found = mode()
    return JobCgroup(found.path, limits) if found.path else None
