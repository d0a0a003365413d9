"""The reference network's test-set figures are recorded at training time and only read afterwards."""
import json

import pytest
from django.conf import settings

from grader import reference, scoring
from reference_nn import network
from reference_nn.reference import ensure_reference
from reference_nn.train import TrainConfig

pytestmark = pytest.mark.django_db

TINY = TrainConfig(sizes=[784, 16, 10], epochs=1, validation=0)


@pytest.fixture
def trained(tmp_path, settings):
    """A tiny reference trained with the grader's summary recorded, as train_reference does."""
    settings.REFERENCE_MODEL_PATH = tmp_path / "model"
    reference.reference_summary.cache_clear()
    ensure_reference(settings.MNIST_DATA_DIR, settings.REFERENCE_MODEL_PATH, TINY, progress=False, log=lambda m: None,
                     summarise=scoring.summary, summary_version=reference.SUMMARY_VERSION)
    yield settings.REFERENCE_MODEL_PATH
    reference.reference_summary.cache_clear()


def test_training_records_the_halves_and_per_digit_figures_in_the_metadata(trained):
    summary = json.loads(trained.with_suffix(".json").read_text())["test_summary"]
    assert summary["version"] == reference.SUMMARY_VERSION
    assert 0.5 < summary["public_accuracy"] < 1 and 0.5 < summary["private_accuracy"] < 1
    assert len(summary["per_digit"]) == 10 and sum(map(sum, summary["confusion"])) == 10_000
    # The two halves are the two halves of the whole.
    assert summary["accuracy"] == pytest.approx((summary["public_accuracy"] + summary["private_accuracy"]) / 2)


def test_pages_read_the_recorded_figures_without_running_the_network(trained, monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("the network ran inside a web request")

    monkeypatch.setattr(network.Network, "predict", forbidden)
    figures = reference.reference_summary_if_trained()
    assert figures["public_accuracy"] > 0.5 and figures["description"].startswith("NumPy network 784-16-10")
    assert reference.reference_summary()["private_accuracy"] == figures["private_accuracy"]


def test_a_model_saved_without_the_figures_shows_no_baseline_until_train_reference_records_them(trained, monkeypatch):
    meta = json.loads(trained.with_suffix(".json").read_text())
    del meta["test_summary"]
    trained.with_suffix(".json").write_text(json.dumps(meta))
    assert reference.reference_summary_if_trained() is None
    # ensure_reference (what train_reference and a worker call) loads the saved model and records them.
    messages = []
    ensure_reference(settings.MNIST_DATA_DIR, trained, TINY, progress=False, log=messages.append,
                     summarise=scoring.summary, summary_version=reference.SUMMARY_VERSION)
    assert "matches" in messages[0] and "recorded" in messages[-1]
    assert reference.reference_summary_if_trained()["accuracy"] == meta["test_accuracy"]


def test_the_reference_network_stays_far_under_the_probe_flag():
    """The course's own network, asked about probes made as the grader makes them: its
    changed answers go about as often one way as the other (docs/grading.md has the
    population's figures, benchmarks/integrity_calibration.py makes them)."""
    import numpy as np

    from grader.data import test_set
    from reference_nn import persist

    ensure_reference(settings.MNIST_DATA_DIR, settings.REFERENCE_MODEL_PATH, progress=False, log=lambda m: None)
    net, _ = persist.load(settings.REFERENCE_MODEL_PATH)
    images, labels = test_set()
    clean = net.predict(images)
    for seed in range(2):
        probe = net.predict(scoring.probe_images(images, np.random.default_rng(seed)))
        evidence = scoring.probe_evidence(clean, probe, labels)
        assert abs(evidence["gap"]) < 0.003 and evidence["z"] < settings.GRADER_PROBE_FLAG_Z / 2
