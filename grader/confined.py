"""Run one parsing function on untrusted bytes in a child process with CPU, memory and
wall-clock limits, so a file built to be slow or greedy to open costs a bounded child,
never the web worker (or Celery worker) that received it.

Children come from a fork server (the standard library's multiprocessing "forkserver"):
a fresh interpreter, started once per calling process, that has imported the parsers and
forks one child per call. A new interpreter per call (what this module did first) cost
about 190 ms of CPU per upload, mostly imports: 50 uploads at once kept both cores busy
for five seconds while pages waited behind them (benchmarks/load.py). A fork of the
server costs a few milliseconds. The server is never a fork of the caller: a child
inherits no database connection, thread, signal handler or memory of the web, and the
server starts in a bare environment (no secret of the web's). A parser subverted into
running code could still read what the web's user can read (the child has no filesystem
isolation; the sandbox is for running code, this is for parsing it). RLIMIT_AS bounds
what the parser may allocate on top of what the server had already imported. Only JSON
crosses back, so even a subverted parser could not hand the caller an object to
unpickle. Where multiprocessing may start no children (Celery's pool processes), each
child is a new interpreter instead, under the same limits.

This module imports only the standard library: the server imports it first.
"""
from __future__ import annotations

import contextlib
import json
import logging
import multiprocessing
import os
import resource
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
log = logging.getLogger(__name__)


class Refused(ValueError):
    """The function refused its input; the message is for the person who sent it."""


class LimitExceeded(Exception):
    """The child ran out of time or memory, or died; `kind` says which."""

    TIME, MEMORY, CRASH = "time", "memory", "crash"

    def __init__(self, kind: str, detail: str = ""):
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind = kind
        self.detail = detail


@dataclass(frozen=True)
class Limits:
    wall_seconds: float = 3.0
    cpu_seconds: int = 2
    memory_bytes: int = 512 * 1024 * 1024


# What the fork server imports once, so that children start with it loaded: the parsers,
# ready (grader/confined_preload.py). "__main__" is the caller's script (gunicorn's,
# manage.py, a benchmark), imported once by the server because multiprocessing imports it
# in every child otherwise; such scripts guard their work with `if __name__ == "__main__"`.
PRELOAD = ["__main__", "grader.confined", "grader.confined_preload"]
_context = None


def _fork_server():
    global _context
    if _context is None:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(PRELOAD)
        _context = context
    return _context


_STARTING = threading.Lock()


@contextlib.contextmanager
def _bare_environment():
    """Around a child's start, which starts the server too if it is not running (the first
    time, or after it was killed). The server inherits the environment it starts in, and a
    process's first environment stays readable in /proc/self/environ whatever it does to
    os.environ later: so it starts with PATH, LANG and this project on PYTHONPATH (it finds
    the parsers from any working directory), never with the web's secrets. Held under a
    lock. A threaded web worker starts the server before its request threads exist
    (start_server, from config/gunicorn.py); after that the environment is emptied again
    only if the server was killed, for the moment of its new start."""
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update({"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "PYTHONPATH": str(ROOT)})
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def start_server() -> None:
    """Start this process's fork server now if it is not running, rather than at the first
    call. A web process with request threads (gunicorn's gthread worker) calls it while it
    still has one thread: the start empties os.environ for a moment (_bare_environment),
    which no other thread should see. Where children are new interpreters there is none."""
    if _launcher() is _from_fork_server:
        from multiprocessing import forkserver

        with _STARTING, _bare_environment():
            _fork_server()
            forkserver.ensure_running()


def _server_needs_start() -> bool:
    """Whether the next child's start would start the fork server too (it never ran, or it
    died): only then is the environment emptied around it. Read from /proc, not waitpid,
    which would reap the server that multiprocessing means to reap itself."""
    from multiprocessing import forkserver

    pid = getattr(forkserver._forkserver, "_forkserver_pid", None)
    if pid is None:
        return True
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            state = fh.read().rsplit(b")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state in (b"Z", b"X")  # dead, not yet reaped


def run(target: str, data: bytes, limits: Limits, **kwargs) -> object:
    """Call target ("package.module:function") as function(data, **kwargs) in a child and
    return what it returned (JSON-serialisable). Raises Refused with the function's own
    message, or LimitExceeded."""
    out, exitcode = _launcher()(target, data, limits, json.dumps(kwargs))
    try:
        answer = json.loads(out)
    except ValueError:
        # No answer: killed at its CPU limit, or died; a C library that cannot allocate may
        # abort instead of raising MemoryError.
        if exitcode in (-signal.SIGXCPU, -signal.SIGKILL):
            raise LimitExceeded(LimitExceeded.TIME, f"over {limits.cpu_seconds} s of CPU time") from None
        log.warning("confined %s died (exit %s)", target, exitcode)
        raise LimitExceeded(LimitExceeded.CRASH, f"exit status {exitcode}") from None
    if "ok" in answer:
        return answer["ok"]
    if "refused" in answer:
        raise Refused(answer["refused"])
    if answer.get("limit") == LimitExceeded.MEMORY:
        raise LimitExceeded(LimitExceeded.MEMORY, f"over {limits.memory_bytes // 2**20} MB")
    log.warning("confined %s raised %s: %s", target, answer.get("crashed"), answer.get("trace", ""))
    raise LimitExceeded(LimitExceeded.CRASH, str(answer.get("crashed")))


def _launcher():
    """Celery's pool processes are daemonic, and multiprocessing lets a daemonic process
    start no children: there (one scan per graded notebook, beside seconds of grading)
    the child is a new interpreter, as every child was before the fork server."""
    return _in_new_interpreter if multiprocessing.current_process().daemon else _from_fork_server


def _wall_clock_exceeded(limits: Limits) -> LimitExceeded:
    return LimitExceeded(LimitExceeded.TIME, f"over {limits.wall_seconds} s of wall-clock time")


# An answer is JSON of a few KB (an essay's text, at most a few hundred KB); anything near
# this is a child gone wrong.
MAX_ANSWER_BYTES = 16 * 1024 * 1024


def _from_fork_server(target: str, data: bytes, limits: Limits, kwargs: str) -> tuple[bytes, int | None]:
    """(its answer, b"" if none; its exit status) from a child of the fork server."""
    context = _fork_server()
    ours, theirs = context.Pipe()
    child = context.Process(target=_forked_child_main, name=f"confined {target}",
                            args=(theirs, target, kwargs, int(limits.cpu_seconds), int(limits.memory_bytes)))
    # The wall clock is kept by a timer that kills the child, so no step of the exchange
    # (sending it the bytes, waiting, reading an answer it stops halfway through) can outlast it.
    fired = threading.Event()
    timer = threading.Timer(limits.wall_seconds, _kill_at_deadline, args=(child, fired))
    out = b""
    try:
        with _STARTING:
            # Emptying os.environ while other threads of a threaded web worker serve requests
            # would pull it from under them: done only when the server itself must start.
            with _bare_environment() if _server_needs_start() else contextlib.nullcontext():
                child.start()
        timer.start()
        theirs.close()
        ours.send_bytes(data)
        out = ours.recv_bytes(MAX_ANSWER_BYTES)
    except (EOFError, OSError):
        pass  # it died, or was killed, before answering: the timer and its exit status say how
    finally:
        timer.cancel()
        _kill(child)  # with its answer in hand, or past its time: it has nothing more to say
        ours.close()
    if fired.is_set() and not out:
        raise _wall_clock_exceeded(limits)
    return out, child.exitcode


def _kill_at_deadline(child, fired: threading.Event) -> None:
    """The timer's end: kill the child at its wall-clock limit (the caller reaps it)."""
    fired.set()
    if child.pid is not None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.pid, signal.SIGKILL)


def _kill(child) -> None:
    """End the child and anything it started (it leads a session of its own), and reap it."""
    if child.pid is None:
        return  # it never started
    if child.exitcode is None:
        try:
            os.killpg(child.pid, signal.SIGKILL)
        except ProcessLookupError:  # killed before its first line made it a session leader
            child.kill()
    child.join()


# -I: ignore PYTHON* variables and the user's site-packages; the project root is put on
# the path by hand because -I leaves the current directory off it.
_BOOTSTRAP = "import sys; sys.path.insert(0, sys.argv[1]); from grader.confined import _new_child_main; _new_child_main()"


def _in_new_interpreter(target: str, data: bytes, limits: Limits, kwargs: str) -> tuple[bytes, int | None]:
    """(its answer, b"" if none; its exit status) from a new interpreter of its own."""
    argv = [sys.executable, "-I", "-c", _BOOTSTRAP, str(ROOT), target, kwargs,
            str(int(limits.cpu_seconds)), str(int(limits.memory_bytes))]
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"}
    # Its own session, so a wall-clock kill reaches the child alone (and anything it started).
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            cwd=ROOT, env=env, start_new_session=True)
    try:
        out, _ = proc.communicate(data, timeout=limits.wall_seconds)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise _wall_clock_exceeded(limits) from None
    return out, proc.returncode


# --- in the child ----------------------------------------------------------------------

def _address_space() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def _confine(cpu_seconds: int, memory_bytes: int) -> None:
    # Soft CPU limit sends SIGXCPU, the hard one a second later SIGKILL.
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    # On top of what the process already holds (a fork server's imports): the parser's own
    # allocations are what is bounded.
    room = _address_space() + memory_bytes
    resource.setrlimit(resource.RLIMIT_AS, (room, room))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))  # a parser has no business writing files


def _answer(target: str, kwargs: str, read) -> bytes:
    """The JSON answer of target on the bytes read() gives."""
    try:
        data = read()
        import importlib

        module, name = target.split(":")
        answer = {"ok": getattr(importlib.import_module(module), name)(data, **json.loads(kwargs))}
    except Refused as exc:
        answer = {"refused": str(exc)}
    except MemoryError:
        answer = {"limit": LimitExceeded.MEMORY}
    except Exception as exc:  # reported by type, with the end of its traceback for the log
        import traceback

        answer = {"crashed": type(exc).__name__, "trace": "".join(traceback.format_exc(limit=-5))[-2000:]}
    try:
        return json.dumps(answer).encode()
    except MemoryError:
        return json.dumps({"limit": LimitExceeded.MEMORY}).encode()


def _forked_child_main(pipe, target: str, kwargs: str, cpu_seconds: int, memory_bytes: int) -> None:
    os.setsid()  # a session of its own: a wall-clock kill reaches it and anything it started
    os.environ.clear()  # what a parser sees: no more than PATH and LANG
    os.environ.update({"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"})
    _confine(cpu_seconds, memory_bytes)
    pipe.send_bytes(_answer(target, kwargs, pipe.recv_bytes))
    # Wait to be killed: while it lives its pid (the group the caller kills) cannot be reused.
    with contextlib.suppress(EOFError, OSError):
        pipe.recv_bytes(1)


def _new_child_main() -> None:
    target, kwargs, cpu_seconds, memory_bytes = sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
    _confine(cpu_seconds, memory_bytes)
    sys.stdout.buffer.write(_answer(target, kwargs, sys.stdin.buffer.read))
    sys.stdout.flush()
