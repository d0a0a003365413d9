"""A from-scratch NumPy reference network for MNIST, and the MNIST data it needs.

This package has no Django imports on purpose: students can read it, run it on a
laptop, and the grader can import it without the web site.
"""
