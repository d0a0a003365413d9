"""Mini-batch training: shuffle, forward, backpropagate, step, repeat for each epoch."""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
from tqdm import tqdm

from .network import Network
from .optim import make_optimizer


@dataclass
class TrainConfig:
    sizes: list[int] = field(default_factory=lambda: [784, 512, 256, 128, 10])
    activation: str = "relu"
    loss: str = "cross_entropy"
    optimizer: str = "adam"
    lr: float = 1e-3
    lr_decay: float = 0.7  # the learning rate is multiplied by this after each epoch
    epochs: int = 10
    batch_size: int = 128
    seed: int = 0
    init_scale: float = 1.0
    validation: int = 5000  # the last N training images are held out to watch progress


@dataclass
class History:
    loss: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)
    seconds: float = 0.0


def accuracy(net: Network, images: np.ndarray, labels: np.ndarray) -> float:
    return float((net.predict(images) == labels).mean())


def train(
    net: Network,
    x: np.ndarray,
    y: np.ndarray,
    config: TrainConfig,
    validation: tuple[np.ndarray, np.ndarray] | None = None,
    progress: bool = True,
) -> History:
    """Train ``net`` in place on x (N, 784) float and y (N,) int labels."""
    x = np.ascontiguousarray(x, dtype=net.dtype)
    y = np.asarray(y, dtype=np.int64)
    rng = np.random.default_rng(config.seed + 1)  # separate stream from the weight initialisation
    optimizer = make_optimizer(config.optimizer, net.params, net.grads, config.lr)
    history = History()
    started = time.perf_counter()
    # Each mini-batch is gathered into one reused buffer: cheaper than a shuffled copy
    # of the whole training set per epoch, and the batch is then hot in cache.
    batch_buffer = np.empty((config.batch_size, x.shape[1]), dtype=net.dtype)
    # The probability each image's own label got, kept for the epoch: the loss is then
    # worked out once per epoch in a few whole-array operations instead of in several
    # small ones per batch.
    picked = np.empty(len(x), dtype=net.dtype)
    rows = np.arange(config.batch_size)
    steps = range(0, len(x), config.batch_size)
    batch_sizes = np.diff([*steps, len(x)])
    for epoch in range(config.epochs):
        order = rng.permutation(len(x))
        bar = tqdm(steps, desc=f"epoch {epoch + 1}/{config.epochs}", unit="batch", disable=not progress, leave=True)
        for start in bar:
            index = order[start:start + config.batch_size]
            xb = batch_buffer[:len(index)]
            np.take(x, index, axis=0, out=xb)
            yb = y[index]
            p = net.forward(xb)
            picked[start:start + len(index)] = p[rows[:len(index)], yb]
            net.backward(yb)
            optimizer.step()
        if len(x):
            # The mean over the epoch's batches of each batch's mean cross-entropy.
            losses = -np.log(np.maximum(picked, 1e-30))
            history.loss.append(float((np.add.reduceat(losses, list(steps)) / batch_sizes).mean()))
        else:
            history.loss.append(0.0)
        if validation is not None:
            history.val_accuracy.append(accuracy(net, *validation))
        if progress:
            postfix = {"loss": f"{history.loss[-1]:.4f}"}
            if history.val_accuracy:
                postfix["val_acc"] = f"{history.val_accuracy[-1]:.4f}"
            bar.set_postfix(postfix)
            bar.refresh()
        bar.close()
        optimizer.lr *= config.lr_decay
    history.seconds = time.perf_counter() - started
    return history


def build(config: TrainConfig) -> Network:
    return Network(config.sizes, activation=config.activation, loss=config.loss, seed=config.seed,
                   init_scale=config.init_scale)
