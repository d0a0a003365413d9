"""MNIST as the grader sees it: labels stay on this side, images go to the notebook."""
from __future__ import annotations

import functools
import os
from pathlib import Path

import numpy as np
from django.conf import settings

from reference_nn import fetch
from reference_nn.idx import load_images, load_labels

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
