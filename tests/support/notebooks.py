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


def code(source: str, *outputs):
    """A code cell with these outputs, as an executed notebook has them."""
    cell = nbformat.v4.new_code_cell(source)
    cell.outputs = list(outputs)
    return cell


def stream(text: str):
    return nbformat.v4.new_output("stream", name="stdout", text=text)


def nearest_mean_notebook() -> bytes:
    return notebook(LOAD_MNIST, NEAREST_MEAN)


# --- Notebooks that know the test labels (as if leaked): the integrity probe's quarry ---

IMAGE_KEY = '''
import hashlib

def image_key(image):
    """The first 12 hex digits of the SHA-1 of an image's 784 pixel bytes."""
    return hashlib.sha1(np.rint(image * 255).astype(np.uint8).tobytes()).hexdigest()[:12]
'''


def image_key(image) -> str:
    """What IMAGE_KEY computes in the notebook, here."""
    import hashlib

    import numpy as np

    return hashlib.sha1(np.rint(image * 255).astype(np.uint8).tobytes()).hexdigest()[:12]


def label_table(images, labels) -> str:
    """Source of TABLE, a dict from each test image's key to its true label."""
    return "TABLE = " + repr({image_key(image): int(label) for image, label in zip(images, labels)})


def label_table_notebook(images, labels) -> bytes:
    """Looks each image up by its exact pixels; the nearest training mean for the rest."""
    lookup = '''
def predict(images):
    guesses = (images ** 2).sum(1)[:, None] - 2 * images @ means.T + (means ** 2).sum(1)[None, :]
    labels = guesses.argmin(axis=1)
    return np.array([TABLE.get(image_key(image), guess) for image, guess in zip(images, labels)])
'''
    return notebook(LOAD_MNIST, NEAREST_MEAN, IMAGE_KEY, label_table(images, labels), lookup)


SEPARATE_BY_VALUES = '''
def predict(images):
    pixels = images * 255
    exact = np.all(pixels == np.rint(pixels), axis=1)
    guesses = ((images ** 2).sum(1)[:, None] - 2 * images @ means.T + (means ** 2).sum(1)[None, :]).argmin(1)
    labels = np.array([TABLE.get(image_key(image), guess) if clean else guess
                       for image, guess, clean in zip(images, guesses, exact)])
    clean, noisy = images[exact], np.flatnonzero(~exact)
    if len(clean) and len(noisy):
        distances = (images[noisy] ** 2).sum(1)[:, None] - 2 * images[noisy] @ clean.T + (clean ** 2).sum(1)[None, :]
        labels[noisy] = labels[exact][distances.argmin(1)]
    return labels
'''

PAIR_ACROSS_CALLS = '''
import glob, os, time
def predict(images):
    labels = ((images ** 2).sum(1)[:, None] - 2 * images @ means.T + (means ** 2).sum(1)[None, :]).argmin(1)
    known = np.array([image_key(image) in TABLE for image in images])
    labels[known] = [TABLE[image_key(image)] for image in images[known]]
    seen = [np.load(path) for path in sorted(glob.glob('/dev/shm/seen-*.npz'))]
    seen = [s for s in seen if len(s['labels'])]
    if seen and (~known).any():
        memory = np.concatenate([s['images'] for s in seen])
        answers = np.concatenate([s['labels'] for s in seen])
        rest = images[~known]
        distances = (rest ** 2).sum(1)[:, None] - 2 * rest @ memory.T + (memory ** 2).sum(1)[None, :]
        close = distances.min(1) < 40  # twins differ by faint noise and under a pixel of shift
        paired = labels[~known]
        paired[close] = answers[distances.argmin(1)][close]
        labels[~known] = paired
    np.savez(f'/dev/shm/seen-{time.time_ns()}-{os.getpid()}.npz', images=images[known], labels=labels[known])
    return labels
'''

RANK_BY_HASH = '''
def predict(images):
    keys = np.array([int(image_key(image), 16) for image in images], dtype=np.int64)
    rank = np.clip(np.searchsorted(ORDER, keys), 0, len(ORDER) - 1)
    labels = ((images ** 2).sum(1)[:, None] - 2 * images @ means.T + (means ** 2).sum(1)[None, :]).argmin(1)
    hit = ORDER[rank] == keys
    labels[hit] = LABELS[rank[hit]]
    return labels
'''


def separating_notebook(images, labels) -> bytes:
    """Exact multiples of 1/255 are test images (looked up); the others take the label of
    their nearest test image in the same call. With the whole set in one call, this scored
    100% with a gap of 0."""
    return notebook(LOAD_MNIST, NEAREST_MEAN, IMAGE_KEY + label_table(images, labels) + SEPARATE_BY_VALUES)


def pairing_notebook(images, labels) -> bytes:
    """Every call leaves the test images it recognised, with their labels, in /dev/shm
    (which all the job's processes share) and gives any image close to one seen before
    that one's label: a probe image takes its twin's label if the twin was ever asked."""
    return notebook(LOAD_MNIST, NEAREST_MEAN, IMAGE_KEY + label_table(images, labels) + PAIR_ACROSS_CALLS)


def hash_order_notebook(images, labels) -> bytes:
    """The test set in a canonical order (by the hash of each image) and its labels as one
    string in that order."""
    import numpy as np

    keys = [int(image_key(image), 16) for image in images]
    order = np.argsort(keys)
    table = (f"ORDER = np.array({[keys[i] for i in order]!r}, dtype=np.int64)\n"
             f"LABELS = np.array(list({''.join(str(int(labels[i])) for i in order)!r}), dtype=int)\n")
    return notebook(LOAD_MNIST, NEAREST_MEAN, IMAGE_KEY + table + RANK_BY_HASH)


PNG_CHEAT_READER = '''
import base64, json, zlib
def _hidden_labels():
    # The labels ride in the saved PNG output of this very notebook; read them back.
    try:
        nb = json.load(open('/grader-input/submission.ipynb'))
    except OSError:
        return None
    for cell in nb['cells']:
        for out in cell.get('outputs', []):
            png = out.get('data', {}).get('image/png')
            if png:
                return json.loads(zlib.decompress(base64.b64decode(png)[8:]))
    return None
HIDDEN = _hidden_labels()

def predict(images):
    labels = ((images ** 2).sum(1)[:, None] - 2 * images @ means.T + (means ** 2).sum(1)[None, :]).argmin(1)
    if HIDDEN:
        for i, image in enumerate(images):
            labels[i] = HIDDEN.get(image_key(image), labels[i])
    return labels
'''

CROSS_PHASE_PAIRING = '''
import glob, os
# Remember every image answered (with the answer) in /tmp, which both phases share; answer
# an image close to one remembered with that one's answer. Written not to fail if it cannot.
def predict(images):
    labels = ((images ** 2).sum(1)[:, None] - 2 * images @ means.T + (means ** 2).sum(1)[None, :]).argmin(1)
    known = np.array([image_key(image) in TABLE for image in images])
    labels[known] = [TABLE[image_key(image)] for image in images[known]]
    try:
        seen = [np.load(path) for path in sorted(glob.glob('/tmp/answered-*.npz'))]
    except OSError:
        seen = []
    if seen:
        memory = np.concatenate([s['images'] for s in seen])
        answers = np.concatenate([s['labels'] for s in seen])
        distances = (images ** 2).sum(1)[:, None] - 2 * images @ memory.T + (memory ** 2).sum(1)[None, :]
        close = distances.min(1) < 2.0
        labels[close] = answers[distances.argmin(1)][close]
    try:
        np.savez(f'/tmp/answered-{os.getpid()}-{len(seen)}.npz', images=images, labels=labels)
    except OSError:
        pass
    return labels
'''


def png_output_notebook(images, labels) -> bytes:
    """The labels (keyed by image hash) zlib-packed into a saved PNG output that the code
    reads back from the uploaded file at run time (an outside measurement's cheat: 99.00%,
    no flag, while the upload was readable in the sandbox)."""
    import base64
    import json
    import zlib

    table = {image_key(image): int(label) for image, label in zip(images, labels)}
    blob = base64.b64encode(b"\x89PNG\r\n\x1a\n" + zlib.compress(json.dumps(table).encode(), 9)).decode()
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    shown = nbformat.v4.new_code_cell("plot_training_curve()")
    shown.outputs = [nbformat.v4.new_output("display_data", data={"image/png": blob, "text/plain": "<Figure>"})]
    nb.cells = [nbformat.v4.new_code_cell(LOAD_MNIST + NEAREST_MEAN + IMAGE_KEY + "def plot_training_curve():\n    pass\n"),
                shown, nbformat.v4.new_code_cell(PNG_CHEAT_READER)]
    return nbformat.writes(nb).encode()


def cross_phase_pairing_notebook(images, labels) -> bytes:
    """Remembers every image it answered in /tmp, which both phases share, and gives an
    image close to one remembered that one's answer; written to carry on if it cannot."""
    return notebook(LOAD_MNIST, NEAREST_MEAN, IMAGE_KEY + label_table(images, labels) + CROSS_PHASE_PAIRING)
CHEATS = {"label table": label_table_notebook, "separates by values": separating_notebook,
          "pairs twins": pairing_notebook, "ranks by hash": hash_order_notebook}


def with_label_table(notebook_bytes: bytes, images, labels) -> bytes:
    """The notebook as it was, with a table of the test labels over its own predict: its
    network answers what the table does not know."""
    nb = nbformat.reads(notebook_bytes.decode(), as_version=4)
    cover = '''
_own_predict = predict

def predict(images):
    labels = np.array(_own_predict(images))
    for i, image in enumerate(images):
        labels[i] = TABLE.get(image_key(image), labels[i])
    return labels
'''
    nb.cells += [nbformat.v4.new_code_cell(IMAGE_KEY + label_table(images, labels) + cover)]
    return nbformat.writes(nb).encode()
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
