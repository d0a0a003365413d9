"""Which CPU cores grading can count on when the web shares its host: a floor for grading.

Pages first (docs/operations.md): the web has 100 times grading's CPU weight, so while the
pages keep every core busy (a class browsing while 50 uploads arrive) grading gets almost
nothing and falls behind without end. A weight cannot give grading a floor without also
making each page wait behind a notebook on the core it runs on; a core the web never runs
on can. So the cores are split: the web (config/wsgi.py pins every web process) keeps to
`web`, and `reserved` runs no page at all. Every grading job may run on the reserved cores
as well as on its slot's own core (grader/sandbox.py), so a job whose core the pages take
moves there instead of waiting, and on a quiet host the slots still use every core.

The price is the web's: it never runs on the reserve, even when no job does. On 2 cores
that halves it, and benchmarks/load.py measured page p95 going from 371-576 ms to
3,381-3,665 ms for a rush that was then graded in full (docs/operations.md). So
GRADING_RESERVED_CORES "auto" keeps a quarter of the cores, rounded down: none on 1-3
cores (pages first, as before), 1 on 4-7, 2 on 8. A number keeps that many, at most all
but one (1 on a 2-core host that must grade through a rush); 0 turns the floor off.
"""
from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Split:
    web: list[int]  # where web processes run
    reserved: list[int]  # where they never run: grading's floor


def reserved_count(cores: int, setting: str) -> int:
    """How many of `cores` to keep from the web (see the module's docstring)."""
    if cores < 2:
        return 0
    if setting.strip().lower() == "auto":
        return cores // 4
    return min(max(int(setting), 0), cores - 1)


def split(cores: list[int], setting: str) -> Split:
    """`cores` (sorted) split into the web's and the reserved ones, the highest reserved."""
    keep = reserved_count(len(cores), setting)
    return Split(web=cores[: len(cores) - keep], reserved=cores[len(cores) - keep:])


def host_split() -> Split:
    """The split of the cores this process may use, by the setting."""
    from django.conf import settings

    return split(sorted(os.sched_getaffinity(0)), settings.GRADING_RESERVED_CORES)


def pin_web() -> Split:
    """Keep this (web) process, and the threads and processes it starts, off the reserved
    cores. Run in each web process as it loads the application; on a process already
    pinned by an earlier call it changes nothing (a single core is not split)."""
    found = host_split()
    if found.reserved:
        os.sched_setaffinity(0, found.web)
    return found
