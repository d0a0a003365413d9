"""Run a process (and everything it starts) with a CPU weight of its own, as a container's
`cpu_shares` or a systemd unit's `CPUWeight=` would: a control group of this run's own.

Why not `nice`: with the kernel's autogroup scheduling (on by default in Debian), each
session is weighed as a whole against every other, and the grader starts each sandbox in a
session of its own, so a niced worker's notebooks still get as much CPU as the web. A
control group holds a process's descendants whatever sessions they start.
"""
from __future__ import annotations

import os
import secrets
import time
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")


def _parent() -> tuple[Path, str] | None:
    """Where to make groups and the file that sets a weight: cgroup v2 (cpu.weight, 1-10000,
    default 100) or v1's cpu controller (cpu.shares, 2-262144, default 1024)."""
    if (CGROUP_ROOT / "cgroup.controllers").exists():
        if "cpu" in (CGROUP_ROOT / "cgroup.controllers").read_text().split():
            return CGROUP_ROOT, "cpu.weight"
        return None
    if (CGROUP_ROOT / "cpu" / "cpu.shares").exists():
        return CGROUP_ROOT / "cpu", "cpu.shares"
    return None


def available() -> bool:
    found = _parent()
    return os.geteuid() == 0 and found is not None and os.access(found[0], os.W_OK)


class CpuGroup:
    """A control group with `weight` on the v2 scale (100 = an ordinary process group)."""

    def __init__(self, name: str, weight: int):
        parent, self.knob = _parent()
        self.path = parent / f"cw-{name}-{secrets.token_hex(3)}"
        self.path.mkdir()
        value = weight if self.knob == "cpu.weight" else max(2, weight * 1024 // 100)
        (self.path / self.knob).write_text(str(value))

    def wrap(self, argv: list[str]) -> list[str]:
        """argv, entering this group before it starts (so every child it forks is in it too)."""
        return ["sh", "-c", f'echo $$ > {self.path / "cgroup.procs"} && exec "$@"', "cpu-group", *argv]

    def remove(self) -> None:
        """Remove the group once its processes are gone (the stack stops them first; a sandbox
        may take a moment to follow its worker)."""
        deadline = time.monotonic() + 10
        while self.path.exists():
            try:
                self.path.rmdir()
            except OSError:
                if time.monotonic() > deadline:
                    return
                time.sleep(0.2)
