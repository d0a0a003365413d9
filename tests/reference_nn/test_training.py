from pathlib import Path

import numpy as np
import pytest
from django.conf import settings

from reference_nn import persist
from reference_nn.reference import ensure_reference, load_mnist
from reference_nn.optim import make_optimizer
from reference_nn.train import TrainConfig, accuracy, build, train


@pytest.fixture(scope="module")
def mnist():
    return load_mnist(settings.MNIST_DATA_DIR)


def test_a_small_network_learns_xor():
    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]] * 16, dtype=np.float32)
    y = np.array([0, 1, 1, 0] * 16)
    config = TrainConfig(sizes=[2, 8, 8, 2], optimizer="adam", lr=0.05, lr_decay=1.0, epochs=200, batch_size=8, validation=0)
    net = build(config)
    train(net, x, y, config, progress=False)
    np.testing.assert_array_equal(net.predict(x[:4]), [0, 1, 1, 0])


@pytest.mark.parametrize("activation, loss", [("relu", "cross_entropy"), ("sigmoid", "mse")])
def test_a_5000_image_subset_of_mnist_is_learned_beyond_90_percent(mnist, activation, loss):
    x, y, tx, ty = mnist
    config = TrainConfig(sizes=[784, 128, 64, 32, 10], activation=activation, loss=loss,
                         lr=3e-3 if activation == "sigmoid" else 1e-3, lr_decay=0.9, epochs=8, batch_size=64)
    net = build(config)
    train(net, x[:5000], y[:5000], config, progress=False)
    assert accuracy(net, tx, ty) > 0.90


def test_the_same_seed_trains_to_identical_weights(mnist):
    x, y, _, _ = mnist
    config = TrainConfig(sizes=[784, 32, 16, 16, 10], epochs=1, batch_size=100, seed=11)
    first, second = build(config), build(config)
    train(first, x[:2000], y[:2000], config, progress=False)
    train(second, x[:2000], y[:2000], config, progress=False)
    np.testing.assert_array_equal(first.params, second.params)


def test_a_saved_network_loads_and_predicts_identically(tmp_path, mnist):
    x, y, tx, _ = mnist
    config = TrainConfig(sizes=[784, 32, 16, 16, 10], epochs=1)
    net = build(config)
    train(net, x[:3000], y[:3000], config, progress=False)
    persist.save(net, tmp_path / "model", {"test_accuracy": 0.5, "epochs": 1})
    loaded, meta = persist.load(tmp_path / "model")
    np.testing.assert_array_equal(loaded.predict(tx), net.predict(tx))
    assert meta["sizes"] == [784, 32, 16, 16, 10] and meta["seed"] == config.seed and meta["epochs"] == 1


def test_the_reference_is_loaded_not_retrained_when_its_metadata_matches(tmp_path, mnist):
    config = TrainConfig(sizes=[784, 16, 16, 16, 10], epochs=1, validation=1000)
    net, meta = ensure_reference(settings.MNIST_DATA_DIR, tmp_path / "ref", config, progress=False, log=lambda m: None)
    assert 0.5 < meta["test_accuracy"] <= 1.0
    assert meta["data_sha256"]["t10k-labels-idx1-ubyte"].startswith("ff7bcfd4")
    mtime = Path(tmp_path / "ref.npz").stat().st_mtime_ns
    messages = []
    _, again = ensure_reference(settings.MNIST_DATA_DIR, tmp_path / "ref", config, progress=False, log=messages.append)
    assert Path(tmp_path / "ref.npz").stat().st_mtime_ns == mtime
    assert again["test_accuracy"] == meta["test_accuracy"] and "matches" in messages[0]
    # A different configuration does not match the saved one, so it trains anew.
    other = TrainConfig(sizes=[784, 16, 16, 16, 10], epochs=1, validation=1000, seed=1)
    messages.clear()
    ensure_reference(settings.MNIST_DATA_DIR, tmp_path / "ref", other, progress=False, log=messages.append)
    assert "training" in messages[0]


def test_the_recorded_loss_is_the_mean_of_each_batchs_cross_entropy(mnist):
    """train() keeps each image's probability for its label and works the loss out once
    per epoch; that must equal the mean of the batches' losses, the last batch short."""
    x, y, _, _ = mnist
    config = TrainConfig(sizes=[784, 16, 10], epochs=1, batch_size=64, lr_decay=1.0, seed=4)
    net = build(config)
    history = train(net, x[:1000], y[:1000], config, progress=False)

    replay = build(config)
    optimizer = make_optimizer(config.optimizer, replay.params, replay.grads, config.lr)
    order = np.random.default_rng(config.seed + 1).permutation(1000)
    xs, ys = x[:1000][order], y[:1000][order]
    batch_losses = []
    for start in range(0, 1000, 64):
        xb, yb = xs[start:start + 64], ys[start:start + 64]
        p = replay.forward(xb)
        batch_losses.append(-np.log(p[np.arange(len(yb)), yb]).mean())
        replay.backward(yb)
        optimizer.step()
    assert history.loss[0] == pytest.approx(float(np.mean(batch_losses)), rel=1e-5)
    np.testing.assert_array_equal(net.params, replay.params)
