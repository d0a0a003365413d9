"""The optimiser's step split over threads: the same numbers as one thread, and a split
only where OpenBLAS's idle threads leave the second core to it."""
import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from reference_nn import parallel
from reference_nn.network import Network
from reference_nn.optim import Adam, make_optimizer

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("n,workers", [(10, 2), (parallel.MIN_PART * 2 + 13, 2), (567_434, 2), (567_434, 3), (0, 2)])
def test_parts_cover_every_value_once_in_order(n, workers):
    slices = parallel.parts(n, workers)
    covered = np.concatenate([np.arange(n)[s] for s in slices]) if n else np.arange(0)
    np.testing.assert_array_equal(covered, np.arange(n))
    assert len(slices) <= workers
    assert all(s.start % parallel.ALIGN == 0 for s in slices)


def test_a_buffer_too_small_for_two_parts_stays_whole():
    assert parallel.parts(parallel.MIN_PART + 1, 2) == [slice(0, parallel.MIN_PART + 1)]


def test_the_step_is_split_only_where_blas_threads_sleep_soon(monkeypatch):
    monkeypatch.setattr(parallel, "cores", lambda: 2)
    monkeypatch.setenv("OPENBLAS_THREAD_TIMEOUT", "16")
    assert len(parallel.parts(567_434)) == 2
    monkeypatch.setenv("OPENBLAS_THREAD_TIMEOUT", "28")  # OpenBLAS's default: a tenth of a second of spinning
    assert len(parallel.parts(567_434)) == 1
    monkeypatch.delenv("OPENBLAS_THREAD_TIMEOUT")
    assert len(parallel.parts(567_434)) == 1


def test_each_runs_every_part_and_the_first_in_the_calling_thread():
    seen = {}
    parallel.each([slice(0, 1), slice(1, 2), slice(2, 3)], lambda part: seen.__setitem__(part.start, threading.get_ident()))
    assert sorted(seen) == [0, 1, 2]
    assert seen[0] == threading.get_ident()
    assert seen[1] != threading.get_ident()


def test_each_raises_what_a_pooled_part_raised():
    def work(part):
        if part.start == 1:
            raise ArithmeticError("part 1")

    with pytest.raises(ArithmeticError, match="part 1"):
        parallel.each([slice(0, 1), slice(1, 2)], work)


def test_a_split_adam_step_gives_bit_for_bit_the_whole_step():
    """Elementwise passes over two halves are the same arithmetic as over the whole: the
    trained weights, moments included, are identical, flushes too (FLUSH_EVERY steps)."""
    rng = np.random.default_rng(7)
    x = rng.standard_normal((64, 300)).astype(np.float32)
    y = rng.integers(0, 10, size=64)
    results = []
    for split in (1, 2):
        net = Network([300, 512, 10], seed=7)  # 159,242 parameters: two parts of MIN_PART or more
        adam = make_optimizer("adam", net.params, net.grads)
        adam._parts = parallel.parts(len(net.params), split)
        assert len(adam._parts) == split
        for _ in range(Adam.FLUSH_EVERY + 5):
            net.forward(x)
            net.backward(y)
            adam.step()
        results.append((net.params.copy(), adam.M.copy(), adam.V.copy()))
    for whole, halves in zip(*results):
        np.testing.assert_array_equal(whole, halves)


def _timeout_after(code: str) -> str:
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_THREAD_TIMEOUT"}
    out = subprocess.run([sys.executable, "-c", code + "\nimport os; print(os.environ.get('OPENBLAS_THREAD_TIMEOUT'))"],
                         cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    return out.stdout.strip().splitlines()[-1]


def test_importing_the_package_or_the_site_asks_openblas_for_short_waits_before_numpy_loads():
    assert _timeout_after("import reference_nn") == str(parallel.BLAS_THREAD_TIMEOUT)
    assert _timeout_after("import config") == str(parallel.BLAS_THREAD_TIMEOUT)


def test_it_does_not_pretend_once_numpy_is_loaded():
    """Too late for OpenBLAS to read it: leaving it unset keeps the step whole there."""
    assert _timeout_after("import numpy\nimport reference_nn") == "None"


def test_each_returns_only_once_every_pooled_part_has_finished_even_when_its_own_part_raises():
    finished = threading.Event()

    def work(part):
        if part.start == 0:
            raise KeyboardInterrupt  # as a Ctrl-C or a task's time limit would, in the calling thread
        threading.Event().wait(0.3)
        finished.set()

    with pytest.raises(KeyboardInterrupt):
        parallel.each([slice(0, 1), slice(1, 2)], work)
    assert finished.is_set()  # no thread still writing the arrays after each() returned


def test_a_forked_child_builds_a_pool_of_its_own():
    """Celery's prefork workers and gunicorn's fork after import: the parent's pool has no
    threads in the child."""
    parallel.each([slice(0, 1), slice(1, 2)], lambda part: None)  # the parent's pool exists
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: run the split work, report, leave without pytest's clean-up
        try:
            seen = []
            parallel.each([slice(0, 1), slice(1, 2)], lambda part: seen.append(part.start))
            os.write(write, b"ok" if sorted(seen) == [0, 1] else b"bad")
        finally:
            os._exit(0)
    os.close(write)
    _, status = os.waitpid(pid, 0)
    assert os.read(read, 10) == b"ok" and status == 0
