"""The reference network's view of the test set, recorded once in the model's metadata.

`manage.py train_reference` (and any worker that has to train it) computes the figures
(accuracy, the public and private halves, per digit, confusion) when it trains or finds
them missing, and stores them beside the weights; afterwards they are only read.
"""
from __future__ import annotations

import functools
import logging

from django.conf import settings

from reference_nn.persist import load_metadata
from reference_nn.reference import ensure_reference

from . import scoring

log = logging.getLogger(__name__)

# Changes whenever scoring.summary or the halves change, so old recorded figures are redone.
SUMMARY_VERSION = f"halves-{scoring.HALVES_SEED}-v2"  # v2: with the public half per digit and confusion


def _describe(meta: dict) -> str:
    return (f"NumPy network {'-'.join(map(str, meta['sizes']))}, {meta['activation']}, "
            f"{meta['hyperparameters']['optimizer']}, {meta['epochs']} epochs, seed {meta['seed']}")


def _recorded(meta: dict | None) -> dict | None:
    summary = (meta or {}).get("test_summary")
    if not summary or summary.get("version") != SUMMARY_VERSION:
        return None
    return {**summary, "description": _describe(meta)}


def ensure_recorded(log_to=log.info, progress: bool = False) -> dict:
    """Load (training it first if it is missing or outdated) and record the figures if they are not yet."""
    _, meta = ensure_reference(settings.MNIST_DATA_DIR, settings.REFERENCE_MODEL_PATH, progress=progress, log=log_to,
                               summarise=scoring.summary, summary_version=SUMMARY_VERSION)
    return _recorded(meta)


@functools.lru_cache(maxsize=1)
def reference_summary() -> dict:
    """Accuracy, halves, per-digit accuracy and confusion of the reference on the test set (for grading).

    Read from the model's metadata; when they are not recorded yet (or the model is
    missing or outdated), the model is loaded or trained and they are recorded first.
    """
    meta = load_metadata(settings.REFERENCE_MODEL_PATH)
    return _recorded(meta) or ensure_recorded()


def reference_summary_if_trained() -> dict | None:
    """The same figures for pages, which never train or run the network inside a web
    request: None until `manage.py train_reference` (or a worker) has recorded them."""
    return _recorded(load_metadata(settings.REFERENCE_MODEL_PATH))
