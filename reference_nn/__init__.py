"""A from-scratch NumPy reference network for MNIST, and the MNIST data it needs.

This package has no Django imports on purpose: students can read it, run it on a
laptop, and the grader can import it without the web site.
"""
from .parallel import quiet_blas_threads

# Before anything here imports NumPy: OpenBLAS reads it when it loads (see parallel.py).
quiet_blas_threads()
