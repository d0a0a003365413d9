"""Gradient descent and its two common refinements, each updating one flat parameter array.

Every optimiser sees the whole network as one vector ``params`` with gradient
``grads`` (see network.Network), so one step is a few whole-array operations. Those
operations are memory-bound, and were once walked in cache-sized blocks; measured
on the course's machine (AMD EPYC, 1 MB L2 per core, 32 MB L3) whole-vector passes
were faster (Adam's step, p10 of 300: 0.79 ms whole, 0.90 ms in blocks of 64k
values, 1.28 ms in blocks of 8k): the 9 MB Adam touches stays in L3, and each block
costs ten more ufunc calls. Adam's step is split in one contiguous part per core
instead, each run through all its passes by a thread of its own (parallel.py: only
where OpenBLAS's idle threads sleep soon, else it gains nothing; measured there, the
step went from 0.80 ms to 0.44 ms). After a step the ``grads`` buffer holds scratch
values: the next backward pass overwrites it anyway.
"""
from __future__ import annotations

import abc
import math

import numpy as np

from . import parallel


class _Optimizer(abc.ABC):
    def __init__(self, params: np.ndarray, grads: np.ndarray, lr: float):
        if params.shape != grads.shape or params.ndim != 1:
            raise ValueError("params and grads must be flat arrays of the same length")
        self.params, self.grads, self.lr = params, grads, float(lr)

    @abc.abstractmethod
    def step(self) -> None:
        """Update params from grads."""


class SGD(_Optimizer):
    """Plain gradient descent: params <- params - lr * grads."""

    def __init__(self, params, grads, lr: float = 0.1):
        super().__init__(params, grads, lr)

    def step(self):
        g = self.grads
        g *= self.lr
        self.params -= g


class Momentum(_Optimizer):
    """Gradient descent with momentum: a velocity that remembers past gradients.

    velocity <- mu * velocity - lr * grads;  params <- params + velocity
    """

    def __init__(self, params, grads, lr: float = 0.05, momentum: float = 0.9):
        super().__init__(params, grads, lr)
        self.mu = momentum
        self.velocity = np.zeros_like(params)

    def step(self):
        v, g = self.velocity, self.grads
        v *= self.mu
        g *= self.lr
        v -= g
        self.params += v


class Adam(_Optimizer):
    """Adam (Kingma & Ba, 2015): per-parameter steps scaled by running gradient moments.

    Textbook form, with g the gradient at step t:
        m <- b1 m + (1 - b1) g;   v <- b2 v + (1 - b2) g^2
        params <- params - lr * m_hat / (sqrt(v_hat) + eps),  m_hat = m / (1 - b1^t), v_hat = v / (1 - b2^t)

    To touch memory fewer times we keep M = m / (1 - b1) and V = v / (1 - b2), whose
    updates need no multiplication of g (M <- b1 M + g, V <- b2 V + g^2), and fold
    every constant into one step size and one epsilon. The result is the same update.
    """

    def __init__(self, params, grads, lr: float = 1e-3, beta1: float = 0.9, beta2: float = 0.999,
                 eps: float = 1e-8):
        super().__init__(params, grads, lr)
        self.beta1, self.beta2, self.eps = beta1, beta2, eps
        self.M = np.zeros_like(params)
        self.V = np.zeros_like(params)
        self.t = 0
        self._parts = parallel.parts(len(params))

    @property
    def m(self) -> np.ndarray:
        """The textbook first moment."""
        return (1 - self.beta1) * self.M

    @property
    def v(self) -> np.ndarray:
        """The textbook second moment."""
        return (1 - self.beta2) * self.V

    # A weight whose gradient stays zero (say, for a pixel that is blank in every
    # recent image) sees M shrink by beta1 each step until it is a subnormal float,
    # and arithmetic on subnormals is many times slower: measured here, the step
    # grew from 0.9 ms to 2.2 ms by the sixth epoch. So every FLUSH_EVERY steps,
    # moments below FLUSH_BELOW become exactly zero (what a CPU's flush-to-zero mode
    # does). Such a moment moves its weight by about lr * 1e-30 / sqrt(v), far below
    # a float32 weight's resolution, so the weights do not change at all.
    FLUSH_EVERY = 64
    FLUSH_BELOW = 1e-30

    def _update(self, part: slice, step: float, eps: float, flush: bool) -> None:
        b1, b2 = self.beta1, self.beta2
        M, V, g, params = self.M[part], self.V[part], self.grads[part], self.params[part]
        M *= b1
        M += g
        np.square(g, out=g)
        V *= b2
        V += g
        np.sqrt(V, out=g)
        g += eps
        np.divide(M, g, out=g)
        g *= step
        params -= g
        if flush:
            M *= np.abs(M) >= self.FLUSH_BELOW
            V *= V >= self.FLUSH_BELOW

    def step(self) -> None:
        self.t += 1
        b1, b2 = self.beta1, self.beta2
        # m_hat / (sqrt(v_hat) + eps) = c * M / (sqrt(V) + eps / sqrt(s))
        #   with c = (1 - b1) / (1 - b1^t) * sqrt((1 - b2^t) / (1 - b2)) and s = (1 - b2) / (1 - b2^t)
        s = (1 - b2) / (1 - b2**self.t)
        # Python floats, not NumPy float64 scalars: under NumPy's promotion rules a
        # float64 scalar would turn each float32 in-place operation into a slow
        # cast-and-compute loop (measured: Adam's step took 1.8x as long).
        step = float(self.lr * (1 - b1) / (1 - b1**self.t) / math.sqrt(s))
        eps = float(self.eps / math.sqrt(s))
        parallel.each(self._parts, self._update, step, eps, self.t % self.FLUSH_EVERY == 0)


OPTIMIZERS = {"sgd": SGD, "momentum": Momentum, "adam": Adam}


def make_optimizer(name: str, params: np.ndarray, grads: np.ndarray, lr: float | None = None):
    try:
        cls = OPTIMIZERS[name]
    except KeyError:
        raise ValueError(f"optimizer must be one of {sorted(OPTIMIZERS)}, not {name!r}") from None
    return cls(params, grads) if lr is None else cls(params, grads, lr=lr)
