import numpy as np
import pytest

from reference_nn.network import ACTIVATIONS, LOSSES, Network, softmax
from reference_nn.optim import OPTIMIZERS, Adam, make_optimizer


def loss_of(net, x, y):
    return net.loss_value(net.forward(x), y)


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("loss", LOSSES)
def test_backpropagation_matches_finite_differences(activation, loss):
    rng = np.random.default_rng(7)
    net = Network([6, 5, 4, 3, 4], activation=activation, loss=loss, seed=3, dtype=np.float64)
    x = rng.standard_normal((8, 6))
    y = rng.integers(0, 4, size=8)
    net.forward(x)
    net.backward(y)
    analytic = net.grads.copy()

    numeric = np.empty_like(analytic)
    h = 1e-6
    for i in range(net.params.size):
        saved = net.params[i]
        net.params[i] = saved + h
        plus = loss_of(net, x, y)
        net.params[i] = saved - h
        minus = loss_of(net, x, y)
        net.params[i] = saved
        numeric[i] = (plus - minus) / (2 * h)

    relative_error = np.linalg.norm(analytic - numeric) / max(np.linalg.norm(analytic) + np.linalg.norm(numeric), 1e-12)
    assert relative_error < 1e-6


def test_softmax_rows_sum_to_one_even_for_huge_scores():
    p = softmax(np.array([[1000.0, 0.0, -1000.0], [1.0, 2.0, 3.0]]))
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-6)
    assert np.all(np.isfinite(p))


def test_every_layer_has_the_shapes_its_sizes_say():
    net = Network([784, 64, 32, 16, 10], seed=0)
    assert [W.shape for W in net.W] == [(784, 64), (64, 32), (32, 16), (16, 10)]
    assert [b.shape for b in net.b] == [(64,), (32,), (16,), (10,)]
    p = net.forward(np.zeros((7, 784), dtype=np.float32))
    assert p.shape == (7, 10) and p.dtype == np.float32
    assert [net.A[l][:7].shape for l in range(1, 5)] == [(7, 64), (7, 32), (7, 16), (7, 10)]
    net.backward(np.arange(7) % 10)
    assert [dW.shape for dW in net.dW] == [W.shape for W in net.W]


def test_parameters_are_views_into_one_flat_buffer():
    net = Network([4, 3, 2], seed=0)
    net.params[:] = 0
    assert all(not W.any() for W in net.W) and all(not b.any() for b in net.b)


def test_two_networks_with_the_same_seed_start_identical_and_a_different_seed_differs():
    a, b, c = Network([20, 8, 3], seed=5), Network([20, 8, 3], seed=5), Network([20, 8, 3], seed=6)
    np.testing.assert_array_equal(a.params, b.params)
    assert not np.array_equal(a.params, c.params)


def test_predict_follows_the_notebook_contract():
    net = Network([784, 16, 10], seed=0)
    labels = net.predict(np.random.default_rng(0).random((25, 784), dtype=np.float32))
    assert labels.shape == (25,) and labels.dtype.kind == "i" and labels.min() >= 0 and labels.max() <= 9


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_each_optimizer_lowers_the_loss(name):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((64, 10)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64)
    net = Network([10, 16, 2], seed=1)
    optimizer = make_optimizer(name, net.params, net.grads)
    before = loss_of(net, x, y)
    for _ in range(300):
        net.forward(x)
        net.backward(y)
        optimizer.step()
    assert loss_of(net, x, y) < 0.5 * before


def test_adam_matches_the_textbook_update_with_bias_corrected_moments():
    rng = np.random.default_rng(2)
    params = rng.standard_normal(5)
    grads = np.zeros(5)
    adam = make_optimizer("adam", params, grads, lr=0.01)
    expected, m, v = params.copy(), np.zeros(5), np.zeros(5)
    for t in range(1, 6):
        g = rng.standard_normal(5)
        grads[:] = g
        adam.step()
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g**2
        m_hat, v_hat = m / (1 - 0.9**t), v / (1 - 0.999**t)
        expected -= 0.01 * m_hat / (np.sqrt(v_hat) + 1e-8)
    np.testing.assert_allclose(params, expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(adam.m, m, rtol=1e-10)
    np.testing.assert_allclose(adam.v, v, rtol=1e-10)


def test_adam_over_the_flat_buffer_equals_textbook_adam_on_each_layer():
    """One step over net.params moves every W[l] and b[l] (views into it) exactly as
    textbook Adam run on that layer's own arrays would."""
    rng = np.random.default_rng(5)
    net = Network([9, 7, 5, 3], seed=5, dtype=np.float64)
    x, y = rng.standard_normal((16, 9)), rng.integers(0, 3, size=16)
    adam = make_optimizer("adam", net.params, net.grads, lr=0.01)
    layers = [[p.copy(), np.zeros_like(p), np.zeros_like(p)] for p in [*net.W, *net.b]]
    for t in range(1, 5):
        net.forward(x)
        net.backward(y)
        gradients = [g.copy() for g in [*net.dW, *net.db]]
        adam.step()
        for layer, g in zip(layers, gradients):
            p, m, v = layer
            m[...] = 0.9 * m + 0.1 * g
            v[...] = 0.999 * v + 0.001 * g**2
            p -= 0.01 * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.999**t)) + 1e-8)
    for (expected, _, _), actual in zip(layers, [*net.W, *net.b]):
        np.testing.assert_allclose(actual, expected, rtol=1e-10, atol=1e-12)


def test_flushing_vanishing_adam_moments_leaves_the_weights_bit_identical(monkeypatch):
    """A feature that goes silent stops feeding its weights' gradients; their moments
    decay towards subnormal floats, which Adam flushes to zero without effect."""
    rng = np.random.default_rng(4)
    x = rng.standard_normal((64, 12)).astype(np.float32)
    y = (x[:, 1] > 0).astype(np.int64)
    results = []
    for flush_every in (64, 10**9):
        monkeypatch.setattr(Adam, "FLUSH_EVERY", flush_every)
        net = Network([12, 8, 2], seed=4)
        adam = make_optimizer("adam", net.params, net.grads)
        for step in range(1500):
            batch = x.copy()
            if step > 20:
                batch[:, 0] = 0  # feature 0 falls silent: its weights get zero gradient
            net.forward(batch)
            net.backward(y)
            adam.step()
        results.append((net.params.copy(), int(np.count_nonzero(adam.M == 0))))
    (flushed, zeros_flushed), (kept, zeros_kept) = results
    assert zeros_flushed > zeros_kept  # the flush really happened
    np.testing.assert_array_equal(flushed, kept)


def test_it_refuses_an_unknown_activation_loss_or_optimizer():
    with pytest.raises(ValueError, match="activation"):
        Network([2, 2], activation="tanh")
    with pytest.raises(ValueError, match="loss"):
        Network([2, 2], loss="hinge")
    with pytest.raises(ValueError, match="optimizer"):
        make_optimizer("rmsprop", np.zeros(1), np.zeros(1))


@pytest.mark.parametrize("loss", LOSSES)
def test_the_fused_output_gradient_equals_the_textbook_one(loss):
    """backward() writes (p - onehot(y)) / B in two passes through a flat index; the
    textbook builds the one-hot matrix and subtracts. Both must give the same delta."""
    rng = np.random.default_rng(8)
    net = Network([12, 9, 7, 10], loss=loss, seed=8)
    x = rng.standard_normal((33, 12)).astype(np.float32)
    y = rng.integers(0, 10, size=33)
    p = net.forward(x).copy()
    net.backward(y)
    onehot = np.zeros_like(p)
    onehot[np.arange(33), y] = 1
    expected = (p - onehot) / 33
    if loss == "mse":
        expected = p * (expected - (expected * p).sum(axis=1, keepdims=True))
    np.testing.assert_allclose(net.D[net.n_layers][:33], expected, rtol=1e-5, atol=1e-7)
    a_last = net.A[net.n_layers - 1][:33]
    np.testing.assert_allclose(net.dW[-1], a_last.T @ expected, rtol=1e-4, atol=1e-6)


def test_a_smaller_batch_after_a_larger_one_gets_the_gradient_of_its_own_rows():
    """Buffers are sized for the largest batch seen; a later, smaller batch uses their first rows."""
    rng = np.random.default_rng(9)
    x = rng.standard_normal((20, 6))
    y = rng.integers(0, 3, size=20)
    reused, fresh = Network([6, 5, 3], seed=9, dtype=np.float64), Network([6, 5, 3], seed=9, dtype=np.float64)
    reused.forward(x)
    reused.backward(y)
    reused.forward(x[:7])
    reused.backward(y[:7])
    fresh.forward(x[:7])
    fresh.backward(y[:7])
    np.testing.assert_array_equal(reused.grads, fresh.grads)
