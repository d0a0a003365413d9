"""A fully connected neural network written out by hand in NumPy.

Notation (the unit's words in brackets). A batch holds B images, one per row.

    a[0] = x                                  input layer, shape (B, sizes[0])
    z[l] = a[l-1] @ W[l] + b[l]                W[l] (weights) shape (sizes[l-1], sizes[l]),
                                               b[l] (biases) shape (sizes[l],)
    a[l] = f(z[l])                             f is the activation (sigmoid or ReLU)
    p    = softmax(z[L])                       output layer: one probability per digit,
                                               each row sums to one

Training lowers a loss (cross-entropy or mean squared error) by gradient descent:
backpropagation sends the error at the output back through the layers with the chain
rule, giving the gradient of the loss for every weight and bias, and the optimiser
moves each parameter a small step against its gradient.

For speed every parameter lives in one flat buffer (``params``), with ``W[l]`` and
``b[l]`` as views into it, and likewise every gradient in ``grads``. The optimiser
then updates all parameters with a handful of whole-array operations, and the
forward and backward passes write into buffers allocated once per batch size.
"""
from __future__ import annotations

import numpy as np

ACTIVATIONS = ("relu", "sigmoid")
LOSSES = ("cross_entropy", "mse")


class Network:
    """A network with ``sizes = [n_inputs, hidden..., n_outputs]`` and a softmax output."""

    def __init__(
        self,
        sizes: list[int],
        activation: str = "relu",
        loss: str = "cross_entropy",
        seed: int = 0,
        dtype=np.float32,
        init_scale: float = 1.0,
    ):
        if len(sizes) < 2 or any(int(n) < 1 for n in sizes):
            raise ValueError(f"sizes must list at least an input and an output layer, got {sizes}")
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {ACTIVATIONS}, not {activation!r}")
        if loss not in LOSSES:
            raise ValueError(f"loss must be one of {LOSSES}, not {loss!r}")
        self.sizes = [int(n) for n in sizes]
        self.activation = activation
        self.loss = loss
        self.seed = seed
        self.dtype = np.dtype(dtype)
        self.init_scale = init_scale

        shapes = []
        for n_in, n_out in zip(self.sizes[:-1], self.sizes[1:]):
            shapes += [(n_in, n_out), (n_out,)]
        total = sum(int(np.prod(s)) for s in shapes)
        self.params = np.zeros(total, dtype=self.dtype)
        self.grads = np.zeros(total, dtype=self.dtype)
        self.W, self.b, self.dW, self.db = [], [], [], []
        offset = 0
        for i, shape in enumerate(shapes):
            size = int(np.prod(shape))
            view, grad = self.params[offset:offset + size].reshape(shape), self.grads[offset:offset + size].reshape(shape)
            (self.W if i % 2 == 0 else self.b).append(view)
            (self.dW if i % 2 == 0 else self.db).append(grad)
            offset += size

        # He initialisation suits ReLU, Glorot (Xavier) suits the sigmoid; biases start at zero.
        rng = np.random.default_rng(seed)
        for W in self.W:
            n_in, n_out = W.shape
            std = np.sqrt(2.0 / n_in) if activation == "relu" else np.sqrt(2.0 / (n_in + n_out))
            W[...] = rng.standard_normal(W.shape) * (std * init_scale)
        self._buffers_for = -1

    @property
    def n_layers(self) -> int:
        """Number of weight layers (hidden layers + the output layer)."""
        return len(self.W)

    # ------------------------------------------------------------------ buffers
    def _ensure_buffers(self, batch: int) -> None:
        """Allocate the per-layer arrays once for the largest batch seen; smaller batches use views."""
        if batch <= self._buffers_for:
            return
        self.A = [None] + [np.empty((batch, n), dtype=self.dtype) for n in self.sizes[1:]]
        self.D = [None] + [np.empty((batch, n), dtype=self.dtype) for n in self.sizes[1:]]
        # ReLU's derivative as a mask, written in place each backward pass (hidden layers only).
        self._mask = [None] + [np.empty((batch, n), dtype=bool) for n in self.sizes[1:-1]]
        self._ones = np.ones(batch, dtype=self.dtype)
        # Where row i's output for label 0 sits in the flattened (batch, K) output: adding
        # label y gives the flat index of p[i, y] without building (rows, y) index pairs.
        self._row_starts = np.arange(batch, dtype=np.intp) * self.sizes[-1]
        self._buffers_for = batch

    # ------------------------------------------------------------------ forward
    def forward(self, x: np.ndarray) -> np.ndarray:
        """Return the output probabilities p, shape (B, sizes[-1]); keep each activation for backward.

        x: shape (B, sizes[0]), dtype self.dtype.
        """
        batch = x.shape[0]
        self._ensure_buffers(batch)
        self._x = x
        a = x
        for l in range(self.n_layers):
            z = self.A[l + 1][:batch]
            np.matmul(a, self.W[l], out=z)  # weighted sum of the previous layer's activations
            z += self.b[l]  # plus the bias
            if l < self.n_layers - 1:
                self._activate(z)  # in place: z becomes a = f(z)
            a = z
        _softmax_inplace(a)
        return a

    def _activate(self, z: np.ndarray) -> None:
        if self.activation == "relu":
            np.maximum(z, 0, out=z)
        else:  # sigmoid(z) = 1 / (1 + e^-z), computed in place
            np.negative(z, out=z)
            np.exp(z, out=z)
            z += 1
            np.reciprocal(z, out=z)

    # ------------------------------------------------------------------ loss
    def loss_value(self, p: np.ndarray, y: np.ndarray) -> float:
        """Mean loss over the batch. p: (B, K) probabilities, y: (B,) integer labels."""
        batch = len(y)
        rows = np.arange(batch)
        if self.loss == "cross_entropy":
            return float(-np.log(np.maximum(p[rows, y], np.finfo(p.dtype).tiny)).mean())
        target = np.zeros_like(p)
        target[rows, y] = 1
        return float(0.5 * ((p - target) ** 2).sum(axis=1).mean())

    # ------------------------------------------------------------------ backward
    def backward(self, y: np.ndarray) -> None:
        """Backpropagation: fill dW[l] and db[l] with the gradient of the mean loss.

        Call right after forward() on the same batch. y: (B,) integer labels.
        ``delta`` is dLoss/dz for the layer at hand, shape (B, sizes[l]).
        """
        batch = len(y)
        L = self.n_layers
        p = self.A[L][:batch]
        delta = self.D[L][:batch]
        # (p - onehot(y)) / B in two passes: p / B into delta, then -1/B at each row's label
        # (the flat index of delta[i, y[i]] is row_starts[i] + y[i]).
        np.multiply(p, 1.0 / batch, out=delta)
        delta.reshape(-1)[self._row_starts[:batch] + y] -= 1.0 / batch
        if self.loss == "mse":
            # MSE: dL/dp = (p - onehot(y)) / B is what delta holds; then through the softmax's
            # Jacobian: dL/dz = p * (dL/dp - sum_k dL/dp_k p_k).
            g = delta
            weighted = np.einsum("ij,ij->i", g, p)[:, None]
            g -= weighted
            g *= p
        # else: softmax and cross-entropy together have exactly that gradient, dL/dz = (p - onehot(y)) / B.
        for l in range(L - 1, -1, -1):
            a_prev = self._x if l == 0 else self.A[l][:batch]
            np.matmul(a_prev.T, delta, out=self.dW[l])  # dL/dW = a_prev^T delta, shape (n_in, n_out)
            np.matmul(self._ones[:batch], delta, out=self.db[l])  # dL/db = sum of delta over the batch
            if l == 0:
                break
            previous = self.D[l][:batch]
            np.matmul(delta, self.W[l].T, out=previous)  # dL/da_prev = delta W^T
            # Chain rule through the activation: multiply by f'(z) = f'(·) written with a = f(z).
            if self.activation == "relu":
                mask = self._mask[l][:batch]
                np.greater(a_prev, 0, out=mask)
                np.multiply(previous, mask, out=previous)
            else:
                previous *= a_prev
                previous *= 1 - a_prev
            delta = previous

    # ------------------------------------------------------------------ inference
    def predict_proba(self, images: np.ndarray, batch_size: int = 2000) -> np.ndarray:
        """Probabilities for images of shape (N, sizes[0]); returns (N, sizes[-1])."""
        images = np.asarray(images, dtype=self.dtype)
        out = np.empty((len(images), self.sizes[-1]), dtype=self.dtype)
        for start in range(0, len(images), batch_size):
            out[start:start + batch_size] = self.forward(images[start:start + batch_size])
        return out

    def predict(self, images: np.ndarray) -> np.ndarray:
        """The notebook contract: float32 (N, 784) in [0, 1] -> N integer labels."""
        return self.predict_proba(images).argmax(axis=1)


def _softmax_inplace(z: np.ndarray) -> None:
    """Rows of z become probabilities that sum to one. Subtracting the row maximum first
    keeps exp() from overflowing and does not change the result."""
    z -= z.max(axis=1, keepdims=True)
    np.exp(z, out=z)
    z /= z.sum(axis=1, keepdims=True)


def softmax(z: np.ndarray) -> np.ndarray:
    out = np.array(z, dtype=np.result_type(z, np.float32), copy=True)
    _softmax_inplace(out)
    return out
