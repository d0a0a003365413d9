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


SMALL_NETWORK = '''
# One hidden layer, trained on 1,000 images only: what the feedback page should coach.
layer_sizes = [784, 32, 10]
rng = np.random.default_rng(0)
X, y = X_train[:1000], y_train[:1000]
W1 = (rng.standard_normal((784, 32)) * np.sqrt(2 / 784)).astype(np.float32)
W2 = (rng.standard_normal((32, 10)) * np.sqrt(2 / 32)).astype(np.float32)
b1, b2 = np.zeros(32, np.float32), np.zeros(10, np.float32)

def forward(images):
    hidden = np.maximum(images @ W1 + b1, 0)
    scores = hidden @ W2 + b2
    scores -= scores.max(axis=1, keepdims=True)
    p = np.exp(scores)
    return hidden, p / p.sum(axis=1, keepdims=True)

for epoch in range(60):
    for start in range(0, 1000, 50):
        xb, yb = X[start:start + 50], y[start:start + 50]
        hidden, p = forward(xb)
        delta = p.copy()
        delta[np.arange(len(yb)), yb] -= 1
        delta /= len(yb)
        dhidden = (delta @ W2.T) * (hidden > 0)
        W2 -= 0.2 * hidden.T @ delta; b2 -= 0.2 * delta.sum(0)
        W1 -= 0.2 * xb.T @ dhidden; b1 -= 0.2 * dhidden.sum(0)

train_accuracy = float((forward(X)[1].argmax(axis=1) == y).mean())

def predict(images):
    return forward(images)[1].argmax(axis=1)
'''


def small_network_notebook() -> bytes:
    """One hidden layer trained on 1,000 images, declaring its layer sizes and training accuracy."""
    return notebook(LOAD_MNIST, SMALL_NETWORK)
