"""The reference network's view of the test set, computed once per worker process."""
from __future__ import annotations

import functools
import logging

from django.conf import settings

from reference_nn.reference import ensure_reference

from . import scoring
from .data import test_set

log = logging.getLogger(__name__)


@functools.lru_cache(maxsize=1)
def reference_summary() -> dict:
    """Accuracy, halves, per-digit accuracy and confusion of the reference on the test set.

    Loads the saved reference model (`manage.py train_reference`), training it first
    if it is missing or its metadata no longer matches.
    """
    net, meta = ensure_reference(settings.MNIST_DATA_DIR, settings.REFERENCE_MODEL_PATH, progress=False, log=log.info)
    images, labels = test_set()
    summary = scoring.summary(net.predict(images), labels)
    summary["description"] = (
        f"NumPy network {'-'.join(map(str, meta['sizes']))}, {meta['activation']}, "
        f"{meta['hyperparameters']['optimizer']}, {meta['epochs']} epochs, seed {meta['seed']}"
    )
    return summary


def reference_summary_if_trained() -> dict | None:
    """The same figures for pages, without ever training inside a web request: None
    until `manage.py train_reference` (or a worker) has saved the model."""
    from reference_nn.persist import load_metadata

    if load_metadata(settings.REFERENCE_MODEL_PATH) is None:
        return None
    return reference_summary()
