"""Kernel environments: the virtualenvs student notebooks may run with, by name.

An assignment names one (coursework's Assignment.environment, default "numpy"); the
sandbox binds that environment's virtualenv for the run. `numpy` is what every
assignment had before (.venv-kernel); `pytorch` adds the CPU build of torch to the same
pinned packages (requirements-kernel-pytorch.txt). Names map to paths in
settings.GRADER_KERNEL_ENVIRONMENTS.
"""
from __future__ import annotations

import contextlib
import contextvars
import re
from pathlib import Path
from typing import Iterator

from django.conf import settings

DEFAULT = "numpy"
# What each environment's students may import, as the assignment page names them, and
# the requirements file whose pins say which versions.
LIBRARIES = {
    "numpy": ("requirements-kernel.txt", ("numpy", "matplotlib")),
    "pytorch": ("requirements-kernel-pytorch.txt", ("torch", "numpy", "matplotlib")),
}
# The least address space (RLIMIT_AS, Limits.process_memory_mb) a kernel of the environment
# needs to start: in the sandbox a kernel reserves 720 MB with NumPy, 1,271 MB once torch is
# imported and 1,353 MB after a few optimiser steps (tests/grader/test_torch_safety.py).
# Below it `import torch` fails ("failed to map segment"), whatever the notebook does.
ADDRESS_SPACE_FLOOR_MB = {"numpy": 0, "pytorch": 1536}
# How to build each one, for the messages that say it is missing.
BUILD = {"numpy": "make kernel-venv", "pytorch": "make install-pytorch"}

_active: contextvars.ContextVar[str] = contextvars.ContextVar("kernel_environment", default=DEFAULT)


class UnknownEnvironment(ValueError):
    pass


def names() -> list[str]:
    return list(settings.GRADER_KERNEL_ENVIRONMENTS)


def venv_for(name: str) -> Path:
    if name == DEFAULT:
        # GRADER_KERNEL_VENV stays the numpy environment's one source: deployments and
        # tests that set it keep working.
        return Path(settings.GRADER_KERNEL_VENV)
    try:
        return Path(settings.GRADER_KERNEL_ENVIRONMENTS[name])
    except KeyError:
        raise UnknownEnvironment(f"no kernel environment named {name!r} (known: {', '.join(names())})") from None


def is_built(name: str) -> bool:
    return (venv_for(name) / "bin" / "python").exists()


@contextlib.contextmanager
def using(name: str) -> Iterator[Path]:
    """Runs started inside use this environment's virtualenv (the sandbox reads
    active_venv). A context variable rather than an argument threaded through the
    runner, so the pipeline's signatures stay as they are."""
    venv = venv_for(name)
    token = _active.set(name)
    try:
        yield venv
    finally:
        _active.reset(token)


def address_space_problem(name: str, process_memory_mb: int) -> str | None:
    """Why limits with this much address space per process cannot run this environment, or None."""
    floor = ADDRESS_SPACE_FLOOR_MB.get(name, 0)
    if process_memory_mb >= floor:
        return None
    return (f"the {name} environment needs at least {floor} MB of address space per process (torch reserves "
            f"1.3 GB as it loads), and these limits give {process_memory_mb} MB: set address_space_mb to "
            f"{floor} or more (memory_mb, what the job may really use, can stay lower)")


def active() -> str:
    return _active.get()


def active_venv() -> Path:
    return venv_for(active())


def libraries(name: str) -> list[tuple[str, str]]:
    """[(package, pinned version)] a notebook in this environment can import, for pages."""
    filename, packages = LIBRARIES.get(name, LIBRARIES[DEFAULT])
    try:
        text = (Path(settings.BASE_DIR) / filename).read_text()
    except OSError:
        text = ""
    pins = dict(re.findall(r"^([A-Za-z0-9_.-]+)==([^\s;#]+)", text, re.MULTILINE))
    pins = {key.lower(): value.split("+")[0] for key, value in pins.items()}
    return [(package, pins.get(package, "")) for package in packages]
