"""Scoring predictions outside the sandbox, where the labels are."""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from . import failures
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
            "for example scores.argmax(axis=1).", mistake=failures.PROBABILITIES.key
        )
    if shape != (n,):
        raise StudentFault(f"predict(images) must return {n} labels, shape ({n},); it returned shape {shape}.",
                           mistake=failures.SHAPE.key)
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
                               mistake=failures.FLOATS.key)
        if not np.all(raw == np.round(raw)):
            raise StudentFault("predict(images) returned fractional numbers; it must return integer labels 0-9.",
                               mistake=failures.FLOATS.key)
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


# The integrity probe. Each test image is changed by a few levels of grey where it has
# ink, and at a few pixels on the ink's edge, made afresh for every run: no probe image
# equals or hashes like its original, so a table of exact test images finds none of
# them, while a network that learned the digits answers almost every one as it answers
# the original. Pixels far from the ink stay 0, so networks that standardise each pixel
# by its training spread (near zero at the border) or binarise their input at > 0 are
# not thrown off, as they were by the earlier probe's sub-pixel shift with noise
# everywhere. Calibrated on benchmarks/integrity_calibration.py (docs/grading.md).
PROBE_JITTER = 6  # each ink pixel moves by up to this many levels of 255, never to 0
PROBE_FAINT = 40  # pixels at most this bright count as the ink's faint edge
PROBE_EDGE_CHANGES = 4  # faint ink pixels cleared, and as many empty pixels touching the ink lit faintly


def probe_images(images: np.ndarray, rng: np.random.Generator, jitter: int = PROBE_JITTER,
                 faint: int = PROBE_FAINT, edge_changes: int = PROBE_EDGE_CHANGES) -> np.ndarray:
    """The integrity probe's images: every pixel with ink moved by a random step of at
    most `jitter`/255 (never to 0), `edge_changes` of the faintest ink pixels (at most
    `faint`/255) cleared and as many empty pixels touching the ink given a faint value.
    Values stay on the 1/255 grid, so no value test tells a probe image from a test image.

    images: float32 (N, 784) in [0, 1] on the 1/255 grid; returns the same shape and type."""
    pixels = np.rint(images * 255).astype(np.int16)
    n, size = pixels.shape
    side = int(round(size ** 0.5))
    ink = pixels > 0
    steps = rng.integers(-jitter, jitter + 1, size=pixels.shape, dtype=np.int16)
    out = np.where(ink, np.clip(pixels + steps, 1, 255), 0)
    square = ink.reshape(n, side, side)
    touching = np.zeros_like(square)
    touching[:, 1:] |= square[:, :-1]
    touching[:, :-1] |= square[:, 1:]
    touching[:, :, 1:] |= square[:, :, :-1]
    touching[:, :, :-1] |= square[:, :, 1:]
    edge = (touching & ~square).reshape(n, size)
    faint_ink = ink & (pixels <= faint)
    rows = np.repeat(np.arange(n)[:, None], edge_changes, axis=1)
    for candidates, lit in ((edge, True), (faint_ink, False)):
        # edge_changes random candidates per image (fewer where an image has fewer)
        picks = np.argpartition(rng.random(candidates.shape) + ~candidates * 2.0, edge_changes - 1, axis=1)[:, :edge_changes]
        chosen = np.take_along_axis(candidates, picks, axis=1)
        values = rng.integers(1, faint + 1, size=picks.shape, dtype=np.int16) if lit else 0
        out[rows[chosen], picks[chosen]] = values[chosen] if lit else 0
    return to_float(out.astype(np.uint8))


def probe_evidence(clean: np.ndarray, probe: np.ndarray, labels: np.ndarray) -> dict:
    """How the answers on the probe differ from those on the test images, image by image.

    An honest network answers each probe image as it answers its original, but for a few
    images near its decision boundaries, which the small change pushes either way: about
    as many turn right as turn wrong. A notebook that recognises the exact test images
    is right on them and falls back to its network on the probe, so its changes all go
    one way. `right_to_wrong` - `wrong_to_right` is the accuracy gap times n; `z` is that
    excess in units of its own noise (the square root of the changes), which scales the
    gap by how sensitive the network is: a sensitive network changes many answers both
    ways, and needs a larger excess to stand out."""
    right, probe_right = clean == labels, probe == labels
    to_wrong = int(np.sum(right & ~probe_right))
    to_right = int(np.sum(~right & probe_right))
    n = len(labels)
    return {
        "clean_accuracy": float(right.mean()) if n else 0.0,
        "noisy_accuracy": float(probe_right.mean()) if n else 0.0,
        "gap": (to_wrong - to_right) / n if n else 0.0,
        "right_to_wrong": to_wrong,
        "wrong_to_right": to_right,
        "changed": int(np.sum(clean != probe)),
        "z": (to_wrong - to_right) / max(1.0, float(np.sqrt(to_wrong + to_right))),
    }


# The largest z of the honest population in benchmarks/integrity_calibration.py (24
# networks of 13 kinds, each with 5 fresh probes, and honest notebooks in the sandbox):
# the flag's message says how far beyond it a result lies. Run the benchmark again
# whenever the probe changes.
PROBE_HONEST_WORST_Z = 2.5


def probe_flag_reason(probe: dict, flag_z: float) -> str:
    """What the TA reads: what happened on the probe, and how far outside honest work it lies."""
    times = probe["z"] / PROBE_HONEST_WORST_Z
    return (
        f"Integrity probe: on a copy of the test images changed by a few levels of grey (a change a network that "
        f"learned the digits barely notices), {probe['right_to_wrong']:,} answers that were right on the test images "
        f"turned wrong and {probe['wrong_to_right']:,} turned right, an excess of "
        f"{probe['right_to_wrong'] - probe['wrong_to_right']:,} ({probe['gap']:.2%} of accuracy), z = {probe['z']:.1f}. "
        f"The most any honest network of the calibration population reached is z = {PROBE_HONEST_WORST_Z:.1f} "
        f"(flagged above {flag_z:.1f}); this is {times:.1f} times that. A notebook that recognises the exact test images "
        "and knows their labels shows this pattern: look for test labels or a lookup in its code."
    )


def on_grid(images: np.ndarray) -> np.ndarray:
    """Values clipped to [0, 1] and rounded to the nearest multiple of 1/255, as MNIST's own."""
    return to_float(np.rint(np.clip(images, 0.0, 1.0) * 255).astype(np.uint8))


def to_bytes(images: np.ndarray) -> np.ndarray:
    """float32 images on the 1/255 grid -> uint8 (exact: how they travel to the sandbox)."""
    return np.rint(images * 255).astype(np.uint8)


def to_float(pixels: np.ndarray) -> np.ndarray:
    """uint8 pixels -> float32 in [0, 1], the way the test images are loaded."""
    return pixels.astype(np.float32) / np.float32(255)
