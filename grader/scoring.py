"""Scoring predictions outside the sandbox, where the labels are."""
from __future__ import annotations

import numpy as np

from .errors import StudentFault


def check_predictions(raw: np.ndarray, n: int) -> np.ndarray:
    """Return predictions as int64 (n,), or raise StudentFault naming what is wrong."""
    if raw.dtype.kind == "O":
        raise StudentFault("predict(images) returned Python objects; return a NumPy array of integer labels.")
    if raw.ndim == 2 and raw.shape == (n, 10):
        raise StudentFault(
            f"predict(images) returned scores of shape {raw.shape}; return one label per image, "
            "for example scores.argmax(axis=1)."
        )
    if raw.shape != (n,):
        raise StudentFault(f"predict(images) must return {n} labels, shape ({n},); it returned shape {raw.shape}.")
    if raw.dtype.kind == "f":
        if not np.all(np.isfinite(raw)):
            raise StudentFault("predict(images) returned NaN or infinite values; it must return integer labels 0-9.")
        if not np.all(raw == np.round(raw)):
            raise StudentFault("predict(images) returned fractional numbers; it must return integer labels 0-9.")
    elif raw.dtype.kind not in "iub":
        raise StudentFault(f"predict(images) returned values of type {raw.dtype}; it must return integer labels 0-9.")
    labels = raw.astype(np.int64)
    bad = (labels < 0) | (labels > 9)
    if bad.any():
        raise StudentFault(
            f"predict(images) returned {int(bad.sum())} labels outside 0-9 (for example {int(labels[bad][0])})."
        )
    return labels


def unpermute(predictions: np.ndarray, order: np.ndarray) -> np.ndarray:
    """Predictions came back for images[order]; put them back in test-set order."""
    restored = np.empty_like(predictions)
    restored[order] = predictions
    return restored


def accuracy(predictions: np.ndarray, labels: np.ndarray) -> float:
    return float(np.mean(predictions == labels))
