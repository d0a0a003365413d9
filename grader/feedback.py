"""Pictures and pages that explain a grade: confusion matrix, misclassified digits, the executed notebook.

The pictures are drawn with Pillow rather than matplotlib: they are grids of cells
and digits, and Pillow draws them in milliseconds where matplotlib took over a
second per submission (measured by benchmarks/grading_overhead.py).
"""
from __future__ import annotations

import base64
import io
import math

import numpy as np
from PIL import Image, ImageDraw, ImageFont

WHITE, INK, MUTED = (255, 255, 255), (29, 29, 31), (102, 102, 102)


def _font(size: int):
    return ImageFont.load_default(size=size)


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=False)
    return buffer.getvalue()


def _blue(t: float) -> tuple[int, int, int]:
    """0 -> near white, 1 -> deep blue."""
    light, dark = np.array([239, 245, 255]), np.array([22, 71, 160])
    return tuple(int(v) for v in light + (dark - light) * min(max(t, 0.0), 1.0))


def confusion_png(confusion: list[list[int]]) -> bytes:
    """Rows are true digits, columns predicted digits; colour on a log scale so that the
    mistakes (tens) stay visible beside the diagonal (hundreds to thousands)."""
    counts = np.asarray(confusion)
    cell, left, top = 46, 70, 64
    image = Image.new("RGB", (left + 10 * cell + 20, top + 10 * cell + 50), WHITE)
    draw = ImageDraw.Draw(image)
    scale = math.log10(max(int(counts.max()), 1) + 1)
    small, label = _font(13), _font(15)
    draw.text((left, 8), "Confusion matrix (test set)", fill=INK, font=_font(17))
    draw.text((left + 5 * cell, top - 24), "predicted digit", fill=MUTED, font=label, anchor="mm")
    for t in range(10):
        draw.text((left - 14, top + t * cell + cell // 2), str(t), fill=INK, font=label, anchor="mm")
        draw.text((left + t * cell + cell // 2, top - 8), str(t), fill=INK, font=label, anchor="mm")
        for p in range(10):
            value = int(counts[t, p])
            shade = math.log10(value + 1) / scale if scale else 0.0
            box = (left + p * cell, top + t * cell, left + (p + 1) * cell - 1, top + (t + 1) * cell - 1)
            draw.rectangle(box, fill=_blue(shade), outline=(221, 221, 230))
            if value:
                draw.text(((box[0] + box[2]) / 2, (box[1] + box[3]) / 2), str(value), font=small, anchor="mm",
                          fill=WHITE if shade > 0.55 else INK)
    vertical = Image.new("RGB", (200, 30), WHITE)
    ImageDraw.Draw(vertical).text((100, 15), "true digit", fill=MUTED, font=label, anchor="mm")
    image.paste(vertical.rotate(90, expand=True), (8, top + 5 * cell - 100))
    draw.text((left, top + 10 * cell + 16), "colour: log10(count + 1)", fill=MUTED, font=small)
    return _png(image)


def gallery_png(images: np.ndarray, items: list[dict], columns: int = 8, zoom: int = 3) -> bytes:
    """items: [{"index", "true", "predicted"}]; images: the test images, (N, 784) in [0, 1]."""
    size, caption = 28 * zoom, 20
    rows = max(1, math.ceil(len(items) / columns))
    tile_w, tile_h = size + 12, size + caption + 10
    image = Image.new("RGB", (columns * tile_w + 10, rows * tile_h + 40), WHITE)
    draw = ImageDraw.Draw(image)
    draw.text((10, 8), "Test digits your network got wrong", fill=INK, font=_font(17))
    font = _font(13)
    for k, item in enumerate(items):
        x, y = 10 + (k % columns) * tile_w, 36 + (k // columns) * tile_h
        digit = (255 - images[item["index"]].reshape(28, 28) * 255).astype(np.uint8)  # dark ink on white
        image.paste(Image.fromarray(digit, "L").resize((size, size), Image.NEAREST).convert("RGB"), (x, y + caption))
        draw.text((x, y + 2), f"true {item['true']}, got {item['predicted']}", fill=INK, font=font)
    return _png(image)


def digit_png(image: np.ndarray, zoom: int = 1) -> bytes:
    """One test digit, dark ink on white, small enough to inline in a page (a few hundred bytes;
    the page scales it up with its pixels kept sharp)."""
    digit = (255 - np.asarray(image).reshape(28, 28) * 255).clip(0, 255).astype(np.uint8)
    return _png(Image.fromarray(digit, "L").resize((28 * zoom, 28 * zoom), Image.NEAREST))


def confused_pairs(predicted: np.ndarray, labels: np.ndarray, images: np.ndarray, pairs: int = 12,
                   examples: int = 3) -> list[dict]:
    """The (true, predicted) pairs the network confuses most, each with a few of its test
    images as base64 PNG, so that the page can show what a mistake looks like."""
    wrong = predicted != labels
    counts: dict[tuple[int, int], int] = {}
    for t, p in zip(labels[wrong].tolist(), predicted[wrong].tolist()):
        counts[(t, p)] = counts.get((t, p), 0) + 1
    chosen = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:pairs]
    out = []
    for (t, p), count in chosen:
        where = np.flatnonzero(wrong & (labels == t) & (predicted == p))
        picks = where[np.linspace(0, len(where) - 1, min(examples, len(where))).astype(int)]
        out.append({"true": t, "predicted": p, "count": count,
                    "images": [base64.b64encode(digit_png(images[i])).decode() for i in picks]})
    return out
