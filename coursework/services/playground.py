"""The draw-a-digit playground: a drawing, prepared the way MNIST's digits were, run through
the course's reference network in this (web) process with NumPy.

MNIST's preparation (LeCun et al.): each digit was scaled, keeping its shape, to fit a
20 x 20 box, with anti-aliasing (so grey edge pixels), then placed in a 28 x 28 image so
that its centre of mass sits at the centre. A drawing prepared any other way (a small
digit in a corner, say) is not what the network learned from, and it guesses badly.
"""
from __future__ import annotations

import base64
import threading
import time
from functools import lru_cache
from pathlib import Path

import numpy as np
from django.conf import settings

from reference_nn import fetch, persist

MIN_SIDE, MAX_SIDE = 28, 280  # the drawing the browser sends: a square of this many pixels a side
BOX, SIZE = 20, 28
INK = 0.1  # a pixel darker than this counts as part of the digit when finding its bounding box


class DrawingRefused(ValueError):
    """The drawing sent cannot be read; the message says why."""


def decode(encoded: str) -> np.ndarray:
    """A square greyscale drawing, base64 of one byte per pixel (0 paper, 255 ink), as floats in [0, 1]."""
    try:
        raw = base64.b64decode(encoded, validate=True)
    except (ValueError, TypeError):
        raise DrawingRefused("The drawing must be base64 text.") from None
    side = int(round(len(raw) ** 0.5))
    if side * side != len(raw) or not MIN_SIDE <= side <= MAX_SIDE:
        raise DrawingRefused(f"The drawing must be a square of {MIN_SIDE} to {MAX_SIDE} pixels a side "
                             f"({len(raw)} bytes is not).")
    return np.frombuffer(raw, dtype=np.uint8).reshape(side, side).astype(np.float32) / 255


def mnist_like(drawing: np.ndarray) -> np.ndarray | None:
    """A drawing (H x W, ink 1 on paper 0) as MNIST would have it: (784,) float32 in [0, 1].
    None when nothing is drawn."""
    from PIL import Image

    rows, cols = np.nonzero(drawing > INK)
    if not len(rows):
        return None
    crop = drawing[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
    height, width = crop.shape
    scale = BOX / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    # Image.resize with a box filter averages the pixels each new pixel covers: MNIST's grey edges.
    small = np.asarray(Image.fromarray(crop, mode="F").resize(size, Image.BOX), dtype=np.float32)
    image = np.zeros((SIZE, SIZE), dtype=np.float32)
    top, left = (SIZE - size[1]) // 2, (SIZE - size[0]) // 2
    image[top:top + size[1], left:left + size[0]] = small
    # Move the centre of mass to the centre (a whole number of pixels, as MNIST did).
    total = image.sum()
    ys, xs = np.indices(image.shape)
    dy = int(round((SIZE - 1) / 2 - (ys * image).sum() / total))
    dx = int(round((SIZE - 1) / 2 - (xs * image).sum() / total))
    image = _shift(image, dy, dx)
    return np.clip(image, 0.0, 1.0).reshape(-1)


def _shift(image: np.ndarray, dy: int, dx: int) -> np.ndarray:
    """Moved by (dy, dx) pixels, with paper coming in at the edges."""
    out = np.zeros_like(image)
    h, w = image.shape
    src_y, dst_y = slice(max(0, -dy), min(h, h - dy)), slice(max(0, dy), min(h, h + dy))
    src_x, dst_x = slice(max(0, -dx), min(w, w - dx)), slice(max(0, dx), min(w, w + dx))
    out[dst_y, dst_x] = image[src_y, src_x]
    return out


@lru_cache(maxsize=1)
def _reference():
    net, meta = persist.load(settings.REFERENCE_MODEL_PATH)
    return net, meta


_forward_lock = threading.Lock()  # the network keeps its activations in buffers of its own


def reference_description() -> str:
    _, meta = _reference()
    sizes = "-".join(str(n) for n in meta["sizes"])
    return f"{sizes}, {meta['activation']}"


def predict(pixels: np.ndarray) -> dict:
    """The reference network's forward pass on one prepared image: its answer, the ten
    probabilities, and every hidden layer's activations (each scaled by its layer's
    largest, for drawing), with the time the forward pass took."""
    net, _ = _reference()
    x = pixels.astype(net.dtype).reshape(1, -1)
    with _forward_lock:
        started = time.perf_counter()
        probabilities = net.forward(x)[0].copy()
        elapsed_ms = (time.perf_counter() - started) * 1000
        hidden = [net.A[l][0].copy() for l in range(1, net.n_layers)]
    layers = []
    for activations in hidden:
        peak = float(activations.max())
        scaled = activations / peak if peak > 0 else activations
        layers.append({"size": int(activations.size), "active": int((activations > 0).sum()),
                       "values": [round(float(v), 2) for v in scaled]})
    return {
        "empty": False,
        "prediction": int(probabilities.argmax()),
        "probabilities": [round(float(p), 4) for p in probabilities],
        "input": [round(float(v), 2) for v in pixels],
        "layers": layers,
        "forward_ms": round(elapsed_ms, 2),
        "where": "server",
    }


def test_digit(rng=None) -> dict:
    """A random MNIST test digit (already prepared the MNIST way) through the network, with
    its label: for exploring without drawing (a keyboard or a screen reader cannot draw)."""
    from .pictures import _test_images

    images = _test_images()
    index = int((rng or np.random.default_rng()).integers(len(images)))
    labels = np.memmap(Path(settings.MNIST_DATA_DIR) / fetch.TEST_LABELS, dtype=np.uint8, mode="r", offset=8)
    answer = predict(np.asarray(images[index], dtype=np.float32).reshape(-1) / 255)
    answer["sample"] = {"index": index, "label": int(labels[index])}
    return answer


def read_drawing(encoded: str) -> dict:
    """From the browser's drawing to the network's answer (or {"empty": True})."""
    pixels = mnist_like(decode(encoded))
    if pixels is None:
        return {"empty": True}
    return predict(pixels)
