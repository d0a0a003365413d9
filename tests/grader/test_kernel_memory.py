"""Memory the kernel holds for a notebook (socket buffers, inodes), which no process's own
memory shows: run through the real sandbox, the job ends as "memory" near its limit, and
the host's available memory, read from outside the sandbox while it runs, never falls by
much more than that limit (grader/cgroups.py; docs/grading.md, "Kernel memory")."""
import pytest

from grader import cgroups
from tests.support.kernel_memory import FILES, PREDICT, SOCKETS, LowestAvailable
from tests.support.notebooks import notebook

LIMIT_MB = 384
# What else may move the host's MemAvailable meanwhile: TCP buffers (their own limit, an
# eighth of the job's), the worker, and above all the machine's other tenants: on the shared
# 2-core CI host MemAvailable moved by -200 to +450 MB before the job's cgroup held anything. Unbounded, the socket
# attack took 3.5 GB (benchmarks/kernel_memory.py).
MARGIN_MB = 1024
# Address space is not memory: the kernel with numpy reserves about 1 GB it never touches.
FAST = {"cell_timeout_s": 120, "total_timeout_s": 240, "address_space_mb": 2048}


@pytest.fixture
def bounded_by_a_cgroup():
    cgroups.mode.cache_clear()
    cgroups.prepared.cache_clear()
    found = cgroups.mode()
    if found.path is None:
        pytest.skip(f"no cgroup can bound kernel memory here: {found.reason}")
    return found


def _grade_watching_the_host(grade, source: str):
    watch = LowestAvailable()
    watch.start()
    result = grade(notebook(source, PREDICT), memory_mb=LIMIT_MB, disk_mb=512, **FAST)
    return result, watch.fall_mb()


def test_socket_buffers_filled_by_two_processes_end_as_memory_within_the_jobs_limit(grade, bounded_by_a_cgroup):
    result, fall = _grade_watching_the_host(grade, SOCKETS)
    assert result.status == "failed", result.message
    assert result.feedback["failure"]["mistake"]["key"] == "memory", result.message
    assert f"The limit is {LIMIT_MB:,} MB" in result.feedback["failure"]["mistake"]["fix"]
    assert fall < LIMIT_MB + MARGIN_MB, f"the host's available memory fell by {fall:.0f} MB"


def test_a_million_empty_files_end_as_memory_within_the_jobs_limit(grade):
    # The watchdog counts each file's inode, so this holds without a cgroup too.
    result, fall = _grade_watching_the_host(grade, FILES)
    assert result.status == "failed", result.message
    assert result.feedback["failure"]["mistake"]["key"] == "memory", result.message
    assert fall < LIMIT_MB + MARGIN_MB, f"the host's available memory fell by {fall:.0f} MB"
