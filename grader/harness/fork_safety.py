"""Code the harness runs in the kernel just before the prediction cell forks it.

torch's CPU build runs its intra-op work on GNU OpenMP. A process forked after OpenMP ran
a parallel region with more than one thread inherits a thread pool whose threads did not
survive the fork, and its next parallel region waits for them forever: a notebook that
called torch.set_num_threads(4) (the sandbox starts it at one, OMP_NUM_THREADS=1) and
trained hung the forked predict process until the cell limit, 600 s, stopped it. One
thread in the parent before the fork keeps the child's torch (and MKL) from entering a
parallel region at all. Only a notebook that imported torch is touched.
"""

BEFORE_FORK = r'''
def _grader_one_thread():
    import sys
    torch = sys.modules.get("torch")
    if torch is not None:
        try:
            torch.set_num_threads(1)
        except BaseException:
            pass
_grader_one_thread()
del _grader_one_thread
'''
