"""Scoring predictions outside the sandbox, where the labels are."""
from __future__ import annotations

import numpy as np

from .errors import StudentFault


def check_predictions(raw: np.ndarray | None, n: int) -> np.ndarray:
    """Return predictions as int64 (n,), or raise StudentFault naming what is wrong."""
    if raw is None:
        raise StudentFault("predict(images) produced no labels.")
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


# A fixed split of the 10,000 test images into a public half (shown on the
# leaderboard before the deadline) and a private half (revealed after). Fixed, so
# every submission is ranked on the same images.
HALVES_SEED = 20261126


def halves(n: int = 10_000) -> tuple[np.ndarray, np.ndarray]:
    order = np.random.default_rng(HALVES_SEED).permutation(n)
    return np.sort(order[: n // 2]), np.sort(order[n // 2:])


def per_digit_accuracy(predictions: np.ndarray, labels: np.ndarray) -> list[float]:
    return [float(np.mean(predictions[labels == d] == d)) for d in range(10)]


def confusion_matrix(predictions: np.ndarray, labels: np.ndarray) -> list[list[int]]:
    """counts[true][predicted]"""
    counts = np.zeros((10, 10), dtype=np.int64)
    np.add.at(counts, (labels, predictions), 1)
    return counts.tolist()


def summary(predictions: np.ndarray, labels: np.ndarray) -> dict:
    public, private = halves(len(labels))
    return {
        "accuracy": accuracy(predictions, labels),
        "public_accuracy": accuracy(predictions[public], labels[public]),
        "private_accuracy": accuracy(predictions[private], labels[private]),
        "per_digit": per_digit_accuracy(predictions, labels),
        "confusion": confusion_matrix(predictions, labels),
    }


def noisy_copy(images: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """The integrity probe's images: the same digits with light Gaussian noise, clipped to [0, 1]."""
    noise = rng.standard_normal(images.shape, dtype=np.float32) * np.float32(sigma)
    return np.clip(images + noise, 0.0, 1.0, dtype=np.float32)
