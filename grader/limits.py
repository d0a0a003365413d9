"""The resource limits of one grading run: the one place a limit is declared.

A new limit is a new field here. Its default can be changed for the whole site with
the environment variable GRADER_<FIELD NAME> (read by config/settings.py), and for one
assignment in its `limits` field (e.g. {"total_timeout_s": 1800}).

Imports nothing from Django at module level: the settings module reads the defaults.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields

# The cell, total and rendering limits are kept in charged time: wall time minus what the
# job waited for a CPU the host held (grader/harness/charged.py). The wall clock still
# stops a run, at this many times the total limit plus rendering's: far enough above that
# only a starved host (or a harness the notebook has stalled) gets there, and then it is
# the host's condition, requeued, not the student's failure.
WALL_BACKSTOP_FACTOR = 3


@dataclass(frozen=True)
class Limits:
    # All the job's processes together: their memory (PSS) plus what its tmpfs mounts
    # and memfds hold, summed by the worker's watchdog, which stops the job past it.
    memory_mb: int = 2048
    # RLIMIT_AS per process, the first line of defence (0: the same as memory_mb). It
    # is address space, not memory: a kernel with numpy reserves about 1 GB it never
    # touches, so a job limited to a few hundred MB still needs a larger figure here.
    address_space_mb: int = 0
    cpu_seconds: int = 1200  # RLIMIT_CPU per process
    processes: int = 256  # RLIMIT_NPROC: tasks (processes and threads) of the sandbox's uid
    file_size_mb: int = 256  # RLIMIT_FSIZE
    open_files: int = 512  # RLIMIT_NOFILE
    disk_mb: int = 512  # size of the writable tmpfs mounts (each)
    cell_timeout_s: int = 600
    total_timeout_s: int = 900
    stored_output_kb: int = 1024  # outputs of every kind kept in the executed notebook, in total
    render_timeout_s: int = 60  # turning the executed notebook into a page, after the total limit
    # Drawing a graded run's page again later, when it could not be drawn within
    # render_timeout_s (a busy host, a slow cell): more generous, since no run waits on it.
    rerender_timeout_s: int = 300
    rendered_html_kb: int = 16384  # the largest page kept
    log_tail_kb: int = 64  # the sandbox's own stdout/stderr kept for TAs

    @classmethod
    def defaults(cls) -> dict[str, int]:
        return asdict(cls())

    @classmethod
    def check_overrides(cls, overrides: dict) -> None:
        """Raise ValueError naming any key that is not a limit or any value that is not a positive whole number."""
        known = {f.name for f in fields(cls)}
        for key, value in overrides.items():
            if key not in known:
                raise ValueError(f"{key!r} is not a grading limit (known: {', '.join(sorted(known))})")
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ValueError(f"the limit {key!r} must be a positive whole number, not {value!r}")

    @classmethod
    def from_settings(cls, overrides: dict | None = None) -> "Limits":
        """The site's defaults (settings.GRADER_DEFAULT_LIMITS) with these overrides."""
        from django.conf import settings

        overrides = dict(overrides or {})
        cls.check_overrides(overrides)
        return cls(**{**settings.GRADER_DEFAULT_LIMITS, **overrides})

    def as_dict(self) -> dict:
        return asdict(self)

    @property
    def process_memory_mb(self) -> int:
        return self.address_space_mb or self.memory_mb

    @property
    def wall_backstop_s(self) -> int:
        """Wall-clock seconds after which the harness's cells stop whatever their charged time."""
        return WALL_BACKSTOP_FACTOR * self.total_timeout_s
