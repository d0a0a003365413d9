"""Keeping the phases of the asking apart, inside the sandbox (the harness's side).

The probe is asked before the test images, each phase in a process forked from the
kernel. A notebook that could carry anything from the probe phase into the test phase
could answer each test image with its probe twin's answer and set its own probe gap (an
outside measurement did so through a file in /tmp). So, while a phase is asked:

- its process has sealed itself (predict_cell.py's seal(): no descriptor but the harness's
  socket, no shared memory, a seccomp filter refusing files, sockets, processes, signals
  and locks), which `seal_problem` checks from outside, since the notebook can change
  the code that seals;
- every other process of the sandbox is stopped (`stop_all`), so none can watch it;
- the writable folders are listed before and after (`state_of`, `changed`): anything
  created, written, read (a file's access time, a FIFO's fill) or removed fails the run
  before anything else runs again.

Runs with the kernel environment's Python; imports nothing from the site.
"""
from __future__ import annotations

import fcntl
import os
import signal
import stat
import struct
import termios
import time

MAX_ENTRIES = 200_000  # files and folders checked in the writable mounts
STOP_ROUNDS = 50


class TooMany(Exception):
    pass


def _processes() -> set[int]:
    return {int(name) for name in os.listdir("/proc") if name.isdigit()}


def _owner(pid: int) -> int | None:
    try:
        return os.stat(f"/proc/{pid}").st_uid
    except OSError:
        return None


def _state(pid: int) -> str | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            return fh.read().rsplit(b")", 1)[1].split()[0].decode()
    except (OSError, IndexError):
        return None


def stop_all(keep: set) -> list[int]:
    """SIGSTOP every process of the sandbox not in `keep` (until a pass finds none new, so
    a process forked meanwhile is stopped too), and wait until each is stopped or gone.
    Returns the pids stopped, for `resume`. Only ever inside the sandbox: on a host it
    would stop every process of its uid, so it refuses to run as root."""
    if os.getuid() == 0:
        raise RuntimeError("stop_all runs only in the sandbox, never as root")
    stopped: list[int] = []
    for _ in range(STOP_ROUNDS):
        fresh = sorted(pid for pid in _processes() - set(keep) - set(stopped) if _owner(pid) == os.getuid())
        if not fresh:
            break
        for pid in fresh:
            try:
                os.kill(pid, signal.SIGSTOP)
                stopped.append(pid)
            except ProcessLookupError:
                pass
    deadline = time.monotonic() + 2.0
    for pid in stopped:
        while _state(pid) not in (None, "T", "t", "Z", "X") and time.monotonic() < deadline:
            time.sleep(0.001)
    return stopped


def resume(pids: list[int]) -> None:
    for pid in pids:
        try:
            os.kill(pid, signal.SIGCONT)
        except ProcessLookupError:
            pass


def _status(pid: int) -> dict[str, str]:
    with open(f"/proc/{pid}/status") as fh:
        return dict(line.rstrip("\n").split(":\t", 1) for line in fh if ":\t" in line)


def shares(maps_line: str) -> bool:
    """Whether a line of /proc/<pid>/maps is memory shared with other processes that some
    process could write: a read-only mapping of a file on the read-only mounts cannot be
    (glibc maps its gconv cache so in every process)."""
    fields = maps_line.split()
    return len(fields) > 1 and fields[1][3:4] == "s" and not (
        "w" not in fields[1] and len(fields) > 5 and fields[5].startswith(READ_ONLY_MOUNTS))


READ_ONLY_MOUNTS = ("/usr/", "/opt/kernel/")


def seal_problem(pid: int) -> str | None:
    """None if process `pid` is sealed as predict_cell.py's seal() seals it, else what is not."""
    try:
        status = _status(pid)
        parent = _status(int(status["PPid"]))
        filters, parent_filters = int(status.get("Seccomp_filters", 0)), int(parent.get("Seccomp_filters", 0))
        if int(status["Threads"]) != 1:
            return f"the process asked about images had {status['Threads']} threads when it was sealed (it must have one)"
        if status.get("Seccomp") != "2" or filters != parent_filters + 1:
            return "the process asked about images did not load the grader's seccomp filter"
        open_fds = {int(fd): os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")}
        extra = {fd: target for fd, target in open_fds.items()
                 if not (fd <= 2 and target == "/dev/null") and not target.startswith("socket:")}
        sockets = [fd for fd, target in open_fds.items() if target.startswith("socket:")]
        if extra or len(sockets) != 1:
            shown = ", ".join(f"{fd} -> {target}" for fd, target in sorted(extra.items())[:5]) or f"{len(sockets)} sockets"
            return f"the process asked about images kept descriptors open ({shown})"
        with open(f"/proc/{pid}/maps") as fh:
            shared = [line.split()[-1] if len(line.split()) > 5 else line.split()[0] for line in fh if shares(line)]
        if shared:
            return f"the process asked about images kept memory shared with other processes ({', '.join(shared[:3])})"
    except (OSError, KeyError, ValueError, IndexError) as exc:
        return f"the process asked about images could not be checked ({type(exc).__name__}: {exc})"
    return None


def _fifo_level(path: str) -> int | None:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW)
    except OSError:
        return None
    try:
        return struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD, b"\0" * 4))[0]
    except OSError:
        return None
    finally:
        os.close(fd)


def state_of(tops: list[str]) -> dict:
    """What is in the writable mounts: per path its inode, type, size, times (a file's
    access time too; a folder's is left out, since listing it stamps it) and a FIFO's
    fill. Raises TooMany past MAX_ENTRIES."""
    state: dict = {}
    stack = list(tops)
    while stack:
        path = stack.pop()
        try:
            entries = list(os.scandir(path))
        except OSError:
            continue
        for entry in entries:
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            folder = stat.S_ISDIR(st.st_mode)
            state[entry.path] = (st.st_ino, st.st_mode, st.st_size, st.st_mtime_ns, st.st_ctime_ns,
                                 None if folder else st.st_atime_ns,
                                 _fifo_level(entry.path) if stat.S_ISFIFO(st.st_mode) else None)
            if folder:
                stack.append(entry.path)
            if len(state) > MAX_ENTRIES:
                raise TooMany(f"the notebook's writable folders ({', '.join(tops)}) held more than {MAX_ENTRIES:,} "
                              "files, too many to check that predict left nothing in them (delete what the notebook "
                              "no longer needs before its last cell)")
    return state


def changed(before: dict, after: dict) -> str | None:
    """None if nothing changed, else a sentence naming the first change."""
    for path in sorted(set(before) | set(after)):
        if path not in before:
            return f"predict created {path} while it was asked about images"
        if path not in after:
            return f"predict removed {path} while it was asked about images"
        if before[path] != after[path]:
            return f"predict changed or read {path} while it was asked about images"
    return None
