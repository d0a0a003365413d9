"""MNIST as the grader sees it: labels stay on this side, images go to the notebook."""
from __future__ import annotations

import functools
import os
from pathlib import Path

import numpy as np
from django.conf import settings

from reference_nn import fetch
from reference_nn.idx import load_images, load_labels, read_idx

# What a notebook may read: the training set only. The test images reach predict in
# batches through the harness, never as a file (a file would let a notebook rank or
# look up the whole test set at once), and the test labels never enter the sandbox.
PUBLIC_FILES = (fetch.TRAIN_IMAGES, fetch.TRAIN_LABELS)


def public_files() -> dict[str, Path]:
    """The public MNIST files by name, to bind one by one into the sandbox."""
    source = Path(settings.MNIST_DATA_DIR).resolve()
    return {name: source / name for name in PUBLIC_FILES}


def public_data_dir() -> Path:
    """A directory of links to the public files only, for unconfined development runs."""
    source = Path(settings.MNIST_DATA_DIR).resolve()
    public = source.parent / (source.name + "-public")
    public.mkdir(parents=True, exist_ok=True)
    for stale in public.iterdir():
        if stale.name not in PUBLIC_FILES:  # a file public before (the test images) is public no more
            stale.unlink()
    for name in PUBLIC_FILES:
        link = public / name
        if not link.exists():
            tmp = public / f".{name}.link"
            tmp.unlink(missing_ok=True)
            os.symlink(source / name, tmp)
            os.replace(tmp, link)
    return public


@functools.lru_cache(maxsize=1)
def test_set() -> tuple[np.ndarray, np.ndarray]:
    """(images float32 (10000, 784) in [0, 1], labels int64 (10000,)), loaded once per process."""
    data = Path(settings.MNIST_DATA_DIR)
    return load_images(data / fetch.TEST_IMAGES), load_labels(data / fetch.TEST_LABELS)


@functools.lru_cache(maxsize=1)
def nearest_mean_accuracy() -> float:
    """Test accuracy of the simplest classifier that learns anything: each digit's mean
    training image, the nearest one wins. A network scoring near it has barely trained."""
    data = Path(settings.MNIST_DATA_DIR)
    train = read_idx(data / fetch.TRAIN_IMAGES).reshape(-1, 784)
    train_labels = read_idx(data / fetch.TRAIN_LABELS)
    means = np.stack([train[train_labels == k].mean(axis=0) for k in range(10)]) / 255.0
    images, labels = test_set()
    distances = (means ** 2).sum(axis=1)[None, :] - 2 * images @ means.T  # |x|^2 is the same for every mean
    return float((distances.argmin(axis=1) == labels).mean())


# The template holds out the last 5,000 training images for validation; the check
# sample comes from them, so a notebook that follows the template has not trained on it.
HELD_OUT = 5000


@functools.lru_cache(maxsize=2)
def training_sample(n: int) -> tuple[np.ndarray, np.ndarray]:
    """n training images (float32 (n, 784) in [0, 1]) and their labels, the same every time:
    the first images of each digit among the held-out ones, digits taking turns."""
    data = Path(settings.MNIST_DATA_DIR)
    labels = load_labels(data / fetch.TRAIN_LABELS)
    start = len(labels) - HELD_OUT
    per_digit = [start + np.flatnonzero(labels[start:] == digit)[: -(-n // 10)] for digit in range(10)]
    picks = np.array([per_digit[i % 10][i // 10] for i in range(n)])
    raw = read_idx(data / fetch.TRAIN_IMAGES)  # uint8 (60000, 28, 28): only the picks become floats
    return raw[picks].reshape(n, -1).astype(np.float32) / np.float32(255.0), labels[picks]
