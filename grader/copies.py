"""Which test images a run got wrong, kept compactly, and how much two runs' wrong sets
share beyond what their accuracies explain (the behaviour half of the copy check in
coursework.services.copies).

The gallery keeps 32 misclassified digits; comparing two submissions needs all of them.
A run's wrong set is a 10,000-bit mask, packed, compressed and base64-encoded: about 500
characters for a network at 98%, at most about 1,700 however many it misses.
"""
from __future__ import annotations

import base64
import math
import zlib

import numpy as np


def pack(wrong: np.ndarray) -> str:
    """A boolean mask over the test images (True: got it wrong) as a short ASCII string."""
    mask = np.asarray(wrong, dtype=bool)
    return f"{len(mask)}:" + base64.b64encode(zlib.compress(np.packbits(mask).tobytes(), 9)).decode("ascii")


def unpack(packed: str) -> np.ndarray | None:
    """The mask `pack` made, or None for anything else (an older result has none)."""
    try:
        n, _, data = packed.partition(":")
        bits = np.unpackbits(np.frombuffer(zlib.decompress(base64.b64decode(data, validate=True)), np.uint8))
        n = int(n)
        return bits[:n].astype(bool) if 0 < n <= len(bits) else None
    except (AttributeError, ValueError, TypeError, zlib.error):
        return None


def overlap_z(a: np.ndarray, b: np.ndarray) -> tuple[float, int, float]:
    """How far the number of test images both runs got wrong lies above what two runs with
    these accuracies would share if their mistakes were independent, in standard deviations
    of that (hypergeometric) count; with the count and its expectation.

    For two equal wrong sets this is sqrt(N - 1), about 100 on the 10,000 test images,
    whatever the accuracy; in general it is the correlation of the two masks times
    sqrt(N - 1). Honest networks share hard images, so they score well above 0 too:
    the threshold comes from honest pairs (benchmarks/copy_calibration.py), not from a
    tail probability, which would call every pair of real networks a copy."""
    n = len(a)
    if n != len(b) or n < 2:
        return 0.0, 0, 0.0
    wrong_a, wrong_b = int(a.sum()), int(b.sum())
    shared = int(np.count_nonzero(a & b))
    expected = wrong_a * wrong_b / n
    variance = wrong_a * wrong_b * (n - wrong_a) * (n - wrong_b) / (n * n * (n - 1))
    if variance <= 0:  # one run got everything right (or wrong): nothing to compare
        return 0.0, shared, expected
    return (shared - expected) / math.sqrt(variance), shared, expected
