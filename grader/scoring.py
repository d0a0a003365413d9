"""Scoring predictions outside the sandbox, where the labels are."""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from .errors import StudentFault

# The only element types the worker will turn prediction bytes into: booleans, integers
# and floats of at most 8 bytes, either byte order. A dtype is built from this list, never
# from a string the sandbox sent.
LABEL_DTYPES = frozenset(
    ["|b1", "|i1", "|u1"] + [f"{order}{kind}{size}" for order in "<>" for kind in "iu" for size in (2, 4, 8)]
    + [f"{order}f{size}" for order in "<>" for size in (2, 4, 8)]
)
# How a type may be named in a message: "int64", "<U1", "datetime64[s]"; anything else is shown as "unknown".
_DTYPE_TEXT = re.compile(r"[<>|=]?[A-Za-z][\w\[\]]{0,40}")


@dataclass(frozen=True)
class RawPredictions:
    """The labels as the harness described them: nothing here has been checked yet.

    dtype is NumPy's dtype.str ("<i8"), dtype_name its readable name ("int64"), shape
    the header's shape; data holds the raw bytes only when the harness judged them to
    be one label per image. When one call of predict answered with the wrong shape or
    type, the header is that call's and `asked` says how many images it was given.
    """

    dtype: object
    shape: object
    data: bytes | None = None
    dtype_name: object = ""
    asked: object = None  # set when one call's answer was unusable: how many images that call was given


def decode_predictions(raw: RawPredictions | None, n: int) -> np.ndarray:
    """Check the header, then read exactly n labels: never allocates more than n labels,
    whatever the header claims. Return int64 (n,), or raise StudentFault naming what is wrong."""
    if raw is None:
        raise StudentFault("predict(images) produced no labels.")
    shape = raw.shape
    if not (isinstance(shape, (list, tuple)) and len(shape) <= 64
            and all(type(d) is int and d >= 0 for d in shape)):
        raise StudentFault("The labels predict(images) returned came back with an unreadable shape.")
    dtype = raw.dtype if isinstance(raw.dtype, str) else ""
    kind = dtype[1] if len(dtype) >= 2 and dtype[0] in "<>|=" else "?"
    shown = next((text for text in (raw.dtype_name, dtype) if isinstance(text, str) and _DTYPE_TEXT.fullmatch(text)),
                 "unknown")
    asked = raw.asked if type(raw.asked) is int and 0 < raw.asked <= n else n
    _check_kind_and_shape(kind, tuple(shape), shown, asked)
    if dtype not in LABEL_DTYPES:
        raise StudentFault(f"predict(images) returned values of type {shown}; it must return integer labels 0-9.")
    element = np.dtype(dtype)
    if not isinstance(raw.data, bytes) or len(raw.data) != n * element.itemsize:
        raise StudentFault(
            "The labels predict(images) returned could not be read: their data does not match their "
            f"shape ({n} values of {element.itemsize} bytes)."
        )
    return check_predictions(np.frombuffer(raw.data, dtype=element, count=n), n)


def _check_kind_and_shape(kind: str, shape: tuple, dtype_text: str, n: int) -> None:
    if kind == "O":
        raise StudentFault("predict(images) returned Python objects; return a NumPy array of integer labels.")
    if len(shape) == 2 and shape == (n, 10):
        raise StudentFault(
            f"predict(images) returned scores of shape {shape}; return one label per image, "
            "for example scores.argmax(axis=1).", mistake="probabilities"
        )
    if shape != (n,):
        raise StudentFault(f"predict(images) must return {n} labels, shape ({n},); it returned shape {shape}.",
                           mistake="shape")
    if kind not in "iubf":
        raise StudentFault(f"predict(images) returned values of type {dtype_text}; it must return integer labels 0-9.")


def check_predictions(raw: np.ndarray | None, n: int) -> np.ndarray:
    """Return predictions as int64 (n,), or raise StudentFault naming what is wrong."""
    if raw is None:
        raise StudentFault("predict(images) produced no labels.")
    _check_kind_and_shape(raw.dtype.kind, raw.shape, str(raw.dtype), n)
    if raw.dtype.kind == "f":
        if not np.all(np.isfinite(raw)):
            raise StudentFault("predict(images) returned NaN or infinite values; it must return integer labels 0-9.",
                               mistake="floats")
        if not np.all(raw == np.round(raw)):
            raise StudentFault("predict(images) returned fractional numbers; it must return integer labels 0-9.",
                               mistake="floats")
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
        # The same on the public half alone: what a student may see before the reveal.
        "public_per_digit": per_digit_accuracy(predictions[public], labels[public]),
        "public_confusion": confusion_matrix(predictions[public], labels[public]),
    }


# The probe's sub-pixel shift: each image moves by its own random offset of up to this
# many pixels along each axis (bilinear resampling), so no probe image equals, or hashes
# like, its original, and a table of exact test images finds none of them.
PROBE_MAX_SHIFT_PX = 0.5


def probe_images(images: np.ndarray, sigma: float, rng: np.random.Generator,
                 max_shift: float = PROBE_MAX_SHIFT_PX) -> np.ndarray:
    """The integrity probe's images, made afresh for each run: each digit moved by a random
    sub-pixel offset, with light Gaussian noise, then put back on the 1/255 grid of the
    clean images, so that neither an exact-value test nor a hash tells them apart.

    images: float32 (N, 784) in [0, 1]; returns float32 (N, 784) in [0, 1]."""
    n = len(images)
    side = int(round(images.shape[1] ** 0.5))
    padded = np.pad(images.reshape(n, side, side), ((0, 0), (1, 1), (1, 1)))
    # Sample the image at (row + ty, col + tx): floor and fraction of each offset.
    offsets = rng.uniform(-max_shift, max_shift, size=(n, 2))
    base = np.floor(offsets).astype(np.int64)
    frac = (offsets - base).astype(np.float32)
    grid = np.arange(side)
    rows = (grid[None, :] + base[:, :1] + 1)[:, :, None]  # (n, side, 1), +1 for the padding
    cols = (grid[None, :] + base[:, 1:] + 1)[:, None, :]  # (n, 1, side)
    which = np.arange(n)[:, None, None]
    wy, wx = frac[:, 0, None, None], frac[:, 1, None, None]
    shifted = ((1 - wy) * (1 - wx) * padded[which, rows, cols] + (1 - wy) * wx * padded[which, rows, cols + 1]
               + wy * (1 - wx) * padded[which, rows + 1, cols] + wy * wx * padded[which, rows + 1, cols + 1])
    noisy = shifted.reshape(n, -1) + rng.standard_normal((n, side * side), dtype=np.float32) * np.float32(sigma)
    return on_grid(noisy)


def on_grid(images: np.ndarray) -> np.ndarray:
    """Values clipped to [0, 1] and rounded to the nearest multiple of 1/255, as MNIST's own."""
    return to_float(np.rint(np.clip(images, 0.0, 1.0) * 255).astype(np.uint8))


def to_bytes(images: np.ndarray) -> np.ndarray:
    """float32 images on the 1/255 grid -> uint8 (exact: how they travel to the sandbox)."""
    return np.rint(images * 255).astype(np.uint8)


def to_float(pixels: np.ndarray) -> np.ndarray:
    """uint8 pixels -> float32 in [0, 1], the way the test images are loaded."""
    return pixels.astype(np.float32) / np.float32(255)
