"""Code the harness runs in the kernel just before the prediction cell forks it.

torch's CPU build runs its intra-op work on GNU OpenMP. A process forked after OpenMP ran
a parallel region with more than one thread inherits a thread pool whose threads did not
survive the fork, and its next parallel region waits for them forever: a notebook that
called torch.set_num_threads(4) (the sandbox starts it at one, OMP_NUM_THREADS=1) and
trained hung the forked predict process until the cell limit, 600 s, stopped it. One
thread in the parent before the fork keeps the child's torch (and MKL) from entering a
parallel region at all, and torch.set_num_threads does nothing from then on (called in
predict, in the forked process, it deadlocked it the same way). Only a notebook that
imported torch is touched.

A torch model left in training mode (dropout on) answers the same image differently from
one call to the next, and no single answer shows it. So, for a notebook that imported
torch, predict is asked twice about the first 64 training images, here in the kernel
before any test image exists, and the number of labels that changed goes to the feedback
page (`_grader_twice`, written with the declared figures). Nothing of it counts in the
score, and any failure here is left for the real asking to report.
"""

BEFORE_FORK = r'''
def _grader_one_thread():
    import sys
    torch = sys.modules.get("torch")
    if torch is not None:
        try:
            torch.set_num_threads(1)
            # Raised again inside predict, after the fork, it would deadlock the same way.
            torch.set_num_threads = lambda n: None
        except BaseException:
            pass
def _grader_asked_twice(scope, n=64):
    import os, sys
    import numpy
    if "torch" not in sys.modules or not callable(scope.get("predict")):
        return {}
    try:
        with open(os.path.join(os.environ["MNIST_DATA_DIR"], "train-images-idx3-ubyte"), "rb") as fh:
            fh.seek(16)
            images = numpy.frombuffer(fh.read(n * 784), dtype=numpy.uint8).reshape(n, 784).astype(numpy.float32) / 255
        first = numpy.asarray(scope["predict"](images.copy())).reshape(-1)
        second = numpy.asarray(scope["predict"](images.copy())).reshape(-1)
        if first.shape != (n,) or second.shape != (n,):
            return {}
        return {"predict_asked_twice": n, "predict_disagreed": int((first != second).sum())}
    except BaseException:
        return {}
_grader_one_thread()
_grader_twice = _grader_asked_twice(globals())
del _grader_one_thread, _grader_asked_twice
'''
