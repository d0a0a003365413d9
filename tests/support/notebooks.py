"""Notebooks for tests, built from source strings so each test reads as what it sends."""
from __future__ import annotations

import nbformat

LOAD_MNIST = '''
import os
from pathlib import Path
import numpy as np

DATA = Path(os.environ["MNIST_DATA_DIR"])

def read_idx(path):
    raw = path.read_bytes()
    ndim = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim).reshape(shape)

X_train = read_idx(DATA / "train-images-idx3-ubyte").reshape(-1, 784).astype(np.float32) / 255
y_train = read_idx(DATA / "train-labels-idx1-ubyte").astype(np.int64)
'''

NEAREST_MEAN = '''
# Each digit's mean training image; an image gets the label of the nearest mean.
means = np.stack([X_train[y_train == k].mean(axis=0) for k in range(10)])

def predict(images):
    distances = (images ** 2).sum(1)[:, None] - 2 * images @ means.T + (means ** 2).sum(1)[None, :]
    return distances.argmin(axis=1)
'''


def notebook(*sources: str, kernel_language: str = "python") -> bytes:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": kernel_language}
    nb.cells = [nbformat.v4.new_code_cell(source.strip("\n")) for source in sources]
    return nbformat.writes(nb).encode()


def nearest_mean_notebook() -> bytes:
    return notebook(LOAD_MNIST, NEAREST_MEAN)
