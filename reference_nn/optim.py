"""Gradient descent and its two common refinements, each updating one flat parameter array.

Every optimiser sees the whole network as one vector ``params`` with gradient
``grads`` (see network.Network), so one step is a few whole-array operations.
"""
from __future__ import annotations

import numpy as np


class SGD:
    """Plain gradient descent: params <- params - lr * grads."""

    def __init__(self, params: np.ndarray, grads: np.ndarray, lr: float = 0.1):
        self.params, self.grads, self.lr = params, grads, lr
        self._tmp = np.empty_like(params)

    def step(self) -> None:
        np.multiply(self.grads, self.lr, out=self._tmp)
        self.params -= self._tmp


class Momentum:
    """Gradient descent with momentum: a velocity that remembers past gradients.

    velocity <- mu * velocity - lr * grads;  params <- params + velocity
    """

    def __init__(self, params: np.ndarray, grads: np.ndarray, lr: float = 0.05, momentum: float = 0.9):
        self.params, self.grads, self.lr, self.mu = params, grads, lr, momentum
        self.velocity = np.zeros_like(params)
        self._tmp = np.empty_like(params)

    def step(self) -> None:
        self.velocity *= self.mu
        np.multiply(self.grads, self.lr, out=self._tmp)
        self.velocity -= self._tmp
        self.params += self.velocity


class Adam:
    """Adam (Kingma & Ba, 2015): per-parameter steps scaled by running gradient moments.

    m <- b1 m + (1 - b1) g;   v <- b2 v + (1 - b2) g^2
    params <- params - lr * sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps')
    where eps' = eps * sqrt(1 - b2^t) gives exactly the textbook update with the
    bias-corrected moments.
    """

    def __init__(self, params: np.ndarray, grads: np.ndarray, lr: float = 1e-3,
                 beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8):
        self.params, self.grads, self.lr = params, grads, lr
        self.beta1, self.beta2, self.eps = beta1, beta2, eps
        self.m = np.zeros_like(params)
        self.v = np.zeros_like(params)
        self._tmp = np.empty_like(params)
        self.t = 0

    def step(self) -> None:
        self.t += 1
        b1, b2, g, tmp = self.beta1, self.beta2, self.grads, self._tmp
        # m += (1 - b1) (g - m)   and   v += (1 - b2) (g^2 - v): the same moving averages, in place
        np.subtract(g, self.m, out=tmp)
        tmp *= 1 - b1
        self.m += tmp
        np.multiply(g, g, out=tmp)
        tmp -= self.v
        tmp *= 1 - b2
        self.v += tmp
        correction2 = np.sqrt(1 - b2**self.t)
        step_size = self.lr * correction2 / (1 - b1**self.t)
        np.sqrt(self.v, out=tmp)
        tmp += self.eps * correction2
        np.divide(self.m, tmp, out=tmp)
        tmp *= step_size
        self.params -= tmp


OPTIMIZERS = {"sgd": SGD, "momentum": Momentum, "adam": Adam}


def make_optimizer(name: str, params: np.ndarray, grads: np.ndarray, lr: float | None = None):
    try:
        cls = OPTIMIZERS[name]
    except KeyError:
        raise ValueError(f"optimizer must be one of {sorted(OPTIMIZERS)}, not {name!r}") from None
    return cls(params, grads) if lr is None else cls(params, grads, lr=lr)
