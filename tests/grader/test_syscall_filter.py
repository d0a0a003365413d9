"""The seccomp filter: how it is built, and that what a notebook needs still works under it."""
import random

import pytest
from django.conf import settings

from grader import syscall_filter
from tests.support.notebooks import notebook

CONSTANT = "import numpy as np\ndef predict(images):\n    return np.zeros(len(images), dtype=int)"


def test_the_filter_compiles_to_whole_bpf_instructions_once_per_process():
    first = syscall_filter.compiled_filter(settings.GRADER_SECCOMP_PYTHON)
    assert first and len(first) % 8 == 0  # struct sock_filter is 8 bytes
    assert syscall_filter.compiled_filter(settings.GRADER_SECCOMP_PYTHON) is first


def test_a_python_without_libseccomp_bindings_is_reported_clearly(tmp_path):
    python = tmp_path / "python"
    python.write_text("#!/bin/sh\necho 'No module named seccomp' >&2\nexit 1\n")
    python.chmod(0o755)
    with pytest.raises(RuntimeError, match="python3-seccomp"):
        syscall_filter.compiled_filter(str(python))


def test_personality_is_refused_for_every_argument_but_the_default_and_the_query():
    rules = syscall_filter._personality_refused()

    def refused(value):
        return any(value & mask == match for mask, match in rules)

    assert not refused(0) and not refused(0xFFFFFFFF)
    for value in [1, 0x8, 0x0040000, 0x0400000, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFE, 1 << 32, 2**64 - 1]:
        assert refused(value), hex(value)
    rng = random.Random(0)
    assert all(refused(rng.randrange(1, 2**64)) for _ in range(20000))


def test_plots_threads_and_multiprocessing_still_work_under_the_filter(grade):
    work = (
        "import concurrent.futures, multiprocessing, threading\n"
        "import matplotlib.pyplot as plt\n"
        "import numpy as np\n"
        "fig, ax = plt.subplots()\n"
        "ax.plot(np.arange(10))\n"
        "fig.savefig('/tmp/plot.png')\n"
        "def square(x):\n"
        "    return x * x\n"
        "with multiprocessing.get_context('fork').Pool(2) as pool:\n"
        "    assert pool.map(square, range(8)) == [x * x for x in range(8)]\n"
        "with concurrent.futures.ThreadPoolExecutor(4) as threads:\n"
        "    assert sum(threads.map(lambda n: float(np.ones((200, 200)) @ np.ones(200) @ np.ones(200)), range(8))) > 0\n"
        "shared = multiprocessing.shared_memory.SharedMemory(create=True, size=1 << 20)\n"
        "shared.buf[:3] = b'abc'\n"
        "shared.close(); shared.unlink()\n"
        "import socket\n"
        "socket.socket(socket.AF_UNIX).close(); socket.socket(socket.AF_INET).close()\n"
        "try:\n"
        "    socket.socket(socket.AF_PACKET)\n"
        "    raise AssertionError('opened a packet socket')\n"
        "except OSError:\n"
        "    pass"
    )
    result = grade(notebook("import multiprocessing.shared_memory", work, CONSTANT),
                   cell_timeout_s=60, total_timeout_s=120)
    assert result.status == "graded", result.message
