"""Whole-array NumPy work split over the machine's cores, and BLAS threads that let it.

NumPy's ufuncs release the GIL while they loop over a large array, so two Python
threads each updating half of a flat buffer run on two cores at once. Only the
optimiser's step is split this way: it is ten passes over every parameter, memory-
and sqrt-bound, on one core otherwise, while the matrix products already use every
core through BLAS.

That only pays when BLAS's own threads leave the cores between products. OpenBLAS's
idle threads busy-wait for the next product for 2^28 CPU cycles (about a tenth of a
second) before they sleep, so during the optimiser's step the second core is taken by a
thread that does nothing, and a split step gained nothing (measured: 0.73 ms against
0.71 ms whole; 0.37 ms once the BLAS threads sleep). OpenBLAS reads how long to wait
from OPENBLAS_THREAD_TIMEOUT once, when NumPy loads it: ``quiet_blas_threads()`` sets it
while NumPy is not yet loaded (this package's import and the site's config do), and the
step is split only where it is set. A short wait also keeps a process that multiplies
now and then (the playground's forward pass) from spinning a core for nothing.
"""
from __future__ import annotations

import os
import sys
import threading
from concurrent.futures import ThreadPoolExecutor, wait
from typing import Callable

# Below this many values a part is not worth a thread's hand-over (tens of microseconds).
MIN_PART = 1 << 16
# SIMD-friendly part boundaries: every part but the last is a multiple of this many values.
ALIGN = 64

# 2^18 cycles, about a tenth of a millisecond: long enough to bridge the bias and
# activation between two products of one pass (waking a sleeping thread costs more),
# short enough to sleep through most of the optimiser's step. Measured on the course's
# machine, 3 epochs of the default training, alternated: 12, 16, 18 and 20 all gained on
# OpenBLAS's default with the step whole, 18 most (3.74-3.82 s against 4.01-4.10 s).
BLAS_THREAD_TIMEOUT = 18
# Above this OpenBLAS's threads would still be spinning through the step: no split.
SPLIT_IF_TIMEOUT_AT_MOST = 20

_pool: ThreadPoolExecutor | None = None
_pool_threads = 0
_pool_lock = threading.Lock()


def _forget_pool() -> None:
    """In a forked child: the parent's pool has no threads behind it here, and its lock may
    have been held by a thread that does not exist here."""
    global _pool, _pool_threads, _pool_lock
    _pool, _pool_threads, _pool_lock = None, 0, threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool)


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def quiet_blas_threads() -> None:
    """Ask OpenBLAS for idle threads that sleep soon; a no-op once NumPy is loaded (too late
    to matter) or where the environment already says."""
    if "numpy" not in sys.modules:
        os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", str(BLAS_THREAD_TIMEOUT))


def blas_threads_sleep() -> bool:
    value = os.environ.get("OPENBLAS_THREAD_TIMEOUT", "")
    return value.isdigit() and int(value) <= SPLIT_IF_TIMEOUT_AT_MOST


def parts(n: int, workers: int | None = None) -> list[slice]:
    """Split range(n) into at most ``workers`` contiguous slices of about equal size, none
    smaller than MIN_PART unless it is the only one. By default, one per core this process
    may use where BLAS's threads sleep between products, else one."""
    if workers is None:
        workers = cores() if blas_threads_sleep() else 1
    workers = max(1, min(workers, n // MIN_PART or 1))
    if n == 0:
        return [slice(0, 0)]
    size = -(-n // workers)
    size = -(-size // ALIGN) * ALIGN
    return [slice(start, min(start + size, n)) for start in range(0, n, size)]


def _executor(threads: int) -> ThreadPoolExecutor:
    """The process's pool, with at least `threads` threads."""
    global _pool, _pool_threads
    with _pool_lock:
        if _pool is None or _pool_threads < threads:
            if _pool is not None:
                _pool.shutdown(wait=False)  # a smaller one: its idle threads end
            _pool, _pool_threads = ThreadPoolExecutor(threads, thread_name_prefix="reference_nn"), threads
        return _pool


def each(slices: list[slice], work: Callable[..., None], *args) -> None:
    """work(part, *args) for every part: the first in this thread, the others in the pool's."""
    if len(slices) == 1:
        work(slices[0], *args)
        return
    pending = [_executor(len(slices) - 1).submit(work, part, *args) for part in slices[1:]]
    try:
        work(slices[0], *args)
    finally:
        # Even when this thread's part raised (a KeyboardInterrupt, a task's time limit): no
        # thread may go on writing the arrays after this returns.
        wait(pending)
    for future in pending:
        future.result()
