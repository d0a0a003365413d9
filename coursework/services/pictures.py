"""A graded run's pictures, the confusion matrix and the misclassified digits, in the two
forms they take, both drawn from the counts and the spread of mistakes in its feedback.

As HTML, drawn for each view (confusion_rows, misclassified_tiles): the matrix as a table,
the digits as small images with their labels in text. Both reflow to a phone's width and
keep their labels at the page's own font size (the PNGs, scaled down to 390 px, had 3-4 px
labels), and a screen reader reads every count and label. Pages show these.

As PNG files, stored once per run (files, save, store, delete, missing; drawn by
grader.feedback): what a page shows where it cannot draw the HTML (a host without the test
images, or the public half's gallery before the reveal). They are drawn after the score is
stored, off the path the student waits on; a run whose worker died before drawing them gets
them when its page is drawn again (pages.draw_again), from the feedback stored with the score.
"""
from __future__ import annotations

import base64
import io
import math
from functools import lru_cache
from pathlib import Path

import numpy as np
from django.conf import settings
from django.core.files.base import ContentFile

from grader.feedback import confusion_png, gallery_png
from grader.data import test_set
from reference_nn import fetch

from .. import states
from ..models import Submission
from . import disclosure

LIGHT, DARK = np.array([239, 245, 255]), np.array([22, 71, 160])
IDX_IMAGES_HEADER = 16  # magic, count, rows, columns: four big-endian int32


def _luminance(rgb) -> float:
    channels = [c / 255 for c in rgb]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _shade(t: float) -> tuple[str, str]:
    """Background for a share t of the largest count, and the text colour (ink or white)
    that contrasts more with it (at least 4.5:1 across the whole scale)."""
    rgb = tuple(int(v) for v in LIGHT + (DARK - LIGHT) * min(max(t, 0.0), 1.0))
    lum = _luminance(rgb)
    ink = "#000000" if (lum + 0.05) / 0.05 >= 1.05 / (lum + 0.05) else "#ffffff"
    return "#%02x%02x%02x" % rgb, ink


def confusion_rows(feedback: dict) -> list[dict]:
    """[{"digit", "cells": [{"count", "predicted", "correct", "background", "ink"}], "total"}], coloured
    on a log scale so that tens of mistakes stay visible beside thousands of right answers."""
    counts = np.asarray(feedback.get("confusion") or [], dtype=np.int64)
    if counts.shape != (10, 10):
        return []
    scale = math.log10(int(counts.max()) + 1) or 1.0
    rows = []
    for true in range(10):
        cells = []
        for predicted in range(10):
            count = int(counts[true, predicted])
            background, ink = _shade(math.log10(count + 1) / scale)
            cells.append({"count": count, "predicted": predicted, "correct": true == predicted,
                          "background": background, "ink": ink})
        rows.append({"digit": true, "cells": cells, "total": int(counts[true].sum())})
    return rows


@lru_cache(maxsize=1)
def _test_images() -> np.ndarray:
    """The test images file, mapped rather than read: a page needs a few dozen of its 10,000."""
    path = Path(settings.MNIST_DATA_DIR) / fetch.TEST_IMAGES
    return np.memmap(path, dtype=np.uint8, mode="r", offset=IDX_IMAGES_HEADER).reshape(-1, 28, 28)


def digit_data_uri(index: int) -> str:
    """One test image as a PNG data URI, dark ink on white like the digit on paper."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(255 - np.asarray(_test_images()[index]), "L").save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def misclassified_tiles(feedback: dict) -> list[dict]:
    """The spread of wrong answers the grader kept, each with its image and labels."""
    try:
        images = _test_images()
    except (OSError, ValueError):
        return []  # no MNIST on this host: the page falls back to the stored picture
    tiles = []
    for item in feedback.get("misclassified") or []:
        index = int(item["index"])
        if 0 <= index < len(images):
            tiles.append({"src": digit_data_uri(index), "true": int(item["true"]), "predicted": int(item["predicted"])})
    return tiles


# The PNG files of a run.

def files(confusion: list, misclassified: list) -> dict[str, tuple[str, bytes]]:
    """{field: (file name, PNG bytes)} of a graded run's pictures."""
    images, _ = test_set()
    drawn = {"confusion_png": ("confusion.png", confusion_png(confusion)),
             "gallery_png": ("misclassified.png", gallery_png(images, misclassified))}
    public = disclosure.public_misclassified(misclassified)
    if public:
        drawn["public_gallery_png"] = ("misclassified-public.png", gallery_png(images, public))
    return drawn


def save(submission: Submission, attempt: int, drawn: dict[str, tuple[str, bytes]]) -> dict[str, str]:
    """Save files under this attempt's names; {field: stored path}."""
    stored = {}
    for name, (filename, data) in drawn.items():
        field = getattr(submission, name)
        stored[name] = field.storage.save(
            field.field.generate_filename(submission, f"{submission.pk}-{attempt}-{filename}"), ContentFile(data))
    return stored


def delete(submission: Submission, stored: dict[str, str]) -> None:
    for name, path in stored.items():
        getattr(submission, name).storage.delete(path)


def store(submission_id: int, attempt: int, confusion: list, misclassified: list) -> bool:
    """Draw and store the pictures of a graded run whose score is stored without them, if the
    row is still that run's and has none yet; return whether they were stored."""
    submission = Submission.all_runs.get(pk=submission_id)
    stored = save(submission, attempt, files(confusion, misclassified))
    try:
        updated = states.store_pictures(submission_id, attempt, **stored)
    except BaseException:
        delete(submission, stored)  # rolled back: nothing names them
        raise
    if not updated:
        delete(submission, stored)
    return updated


def missing(submission: Submission) -> bool:
    """Whether a graded run's pictures were never stored (its worker died after the score)."""
    return (submission.status == states.SubmissionStatus.GRADED and not submission.is_check
            and not submission.confusion_png and isinstance(submission.feedback.get("confusion"), list))
