"""Run one parsing function on untrusted bytes in a fresh Python process with CPU, memory
and wall-clock limits, so a file built to be slow or greedy to open costs a bounded
child, never the web worker (or Celery worker) that received it.

The child is a new interpreter (not a fork of the caller): it inherits no database
connection, thread or signal handler, and RLIMIT_AS then bounds exactly what the parser
may allocate. Only JSON crosses back, so even a parser that were subverted by its input
could not hand the caller an object to unpickle.

This module imports only the standard library: the child imports it first.
"""
from __future__ import annotations

import json
import logging
import os
import resource
import signal
import subprocess
import sys
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


# -I: ignore PYTHON* variables and the user's site-packages; the project root is put on
# the path by hand because -I leaves the current directory off it.
_BOOTSTRAP = "import sys; sys.path.insert(0, sys.argv[1]); from grader.confined import _child_main; _child_main()"


def run(target: str, data: bytes, limits: Limits, **kwargs) -> object:
    """Call target ("package.module:function") as function(data, **kwargs) in a child and
    return what it returned (JSON-serialisable). Raises Refused with the function's own
    message, or LimitExceeded."""
    argv = [sys.executable, "-I", "-c", _BOOTSTRAP, str(ROOT), target, json.dumps(kwargs),
            str(int(limits.cpu_seconds)), str(int(limits.memory_bytes))]
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"}
    # Its own session, so a wall-clock kill reaches the child alone (and anything it started).
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            cwd=ROOT, env=env, start_new_session=True)
    try:
        out, err = proc.communicate(data, timeout=limits.wall_seconds)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise LimitExceeded(LimitExceeded.TIME, f"over {limits.wall_seconds} s of wall-clock time") from None
    if proc.returncode in (-signal.SIGXCPU, -signal.SIGKILL):
        raise LimitExceeded(LimitExceeded.TIME, f"over {limits.cpu_seconds} s of CPU time")
    try:
        answer = json.loads(out)
    except ValueError:
        # A C library that cannot allocate may abort instead of raising MemoryError.
        log.warning("confined %s died (exit %s): %s", target, proc.returncode, err[-2000:].decode(errors="replace"))
        raise LimitExceeded(LimitExceeded.CRASH, f"exit status {proc.returncode}") from None
    if "ok" in answer:
        return answer["ok"]
    if "refused" in answer:
        raise Refused(answer["refused"])
    if answer.get("limit") == LimitExceeded.MEMORY:
        raise LimitExceeded(LimitExceeded.MEMORY, f"over {limits.memory_bytes // 2**20} MB")
    log.warning("confined %s raised %s: %s", target, answer.get("crashed"), err[-2000:].decode(errors="replace"))
    raise LimitExceeded(LimitExceeded.CRASH, str(answer.get("crashed")))


def _child_main() -> None:
    target, kwargs, cpu_seconds, memory_bytes = sys.argv[2], json.loads(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    # Soft CPU limit sends SIGXCPU, the hard one a second later SIGKILL.
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))  # a parser has no business writing files
    data = sys.stdin.buffer.read()
    try:
        import importlib

        module, name = target.split(":")
        answer = {"ok": getattr(importlib.import_module(module), name)(data, **kwargs)}
    except Refused as exc:
        answer = {"refused": str(exc)}
    except MemoryError:
        answer = {"limit": LimitExceeded.MEMORY}
    except Exception as exc:  # reported by type; the traceback goes to stderr for the log
        import traceback

        traceback.print_exc(limit=-5)
        answer = {"crashed": type(exc).__name__}
    try:
        sys.stdout.write(json.dumps(answer))
    except MemoryError:
        sys.stdout.write(json.dumps({"limit": LimitExceeded.MEMORY}))
    sys.stdout.flush()
