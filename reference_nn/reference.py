"""The course's reference network: train the default configuration once, reuse it after.

``ensure_reference(data_dir, model_path)`` loads the saved model when its metadata
matches the configuration and the data checksums, and trains (then saves) otherwise.
Given a ``summarise`` function, it also records what that function makes of the test
set's predictions (the grader's figures: halves, per digit) in the metadata, once, so
that nobody who only reads the figures has to run the network for them.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Callable

from . import fetch, persist
import numpy as np

from .idx import load_images, load_labels
from .network import Network
from .train import TrainConfig, accuracy, build, train

DEFAULT = TrainConfig()


def _identity(config: TrainConfig) -> dict:
    return {"config": dataclasses.asdict(config), "data_sha256": dict(fetch.SHA256)}


def load_mnist(data_dir: str | Path):
    d = Path(data_dir)
    return (load_images(d / fetch.TRAIN_IMAGES), load_labels(d / fetch.TRAIN_LABELS),
            load_images(d / fetch.TEST_IMAGES), load_labels(d / fetch.TEST_LABELS))


def train_and_save(config: TrainConfig, data_dir: str | Path, model_path: str | Path, progress: bool = True) -> tuple[Network, dict]:
    x, y, tx, ty = load_mnist(data_dir)
    held = config.validation
    fit_x, fit_y = (x[:-held], y[:-held]) if held else (x, y)
    val = (x[-held:], y[-held:]) if held else None
    net = build(config)
    history = train(net, fit_x, fit_y, config, validation=val, progress=progress)
    test_accuracy = accuracy(net, tx, ty)
    metadata = {
        **_identity(config),
        "epochs": config.epochs,
        "hyperparameters": {"optimizer": config.optimizer, "lr": config.lr, "lr_decay": config.lr_decay,
                            "batch_size": config.batch_size, "init_scale": config.init_scale},
        "history": {"loss": history.loss, "val_accuracy": history.val_accuracy},
        "train_seconds": history.seconds,
        "test_accuracy": test_accuracy,
    }
    persist.save(net, model_path, metadata)
    return net, persist.load_metadata(model_path)


# (predictions, labels) of the test set -> the figures to keep. summary_version names the
# function's definition: figures recorded under another version are made again.
Summarise = Callable[[np.ndarray, np.ndarray], dict]


def ensure_reference(data_dir: str | Path, model_path: str | Path, config: TrainConfig = DEFAULT,
                     progress: bool = True, log: Callable[[str], None] = print,
                     summarise: Summarise | None = None, summary_version: str | None = None) -> tuple[Network, dict]:
    meta = persist.load_metadata(model_path)
    wanted = _identity(config)
    if meta and all(meta.get(k) == v for k, v in wanted.items()) and Path(model_path).with_suffix(".npz").exists():
        log(f"reference network: saved model matches the configuration (test accuracy {meta['test_accuracy']:.4f})")
        net, meta = persist.load(model_path)
    else:
        log("reference network: training the default configuration")
        net, meta = train_and_save(config, data_dir, model_path, progress)
        log(f"reference network: seed {config.seed}, {config.epochs} epochs, test accuracy {meta['test_accuracy']:.4f}")
    if summarise is not None and (meta.get("test_summary") or {}).get("version") != summary_version:
        d = Path(data_dir)
        images, labels = load_images(d / fetch.TEST_IMAGES), load_labels(d / fetch.TEST_LABELS)
        summary = {**summarise(net.predict(images), labels), "version": summary_version}
        meta = persist.update_metadata(model_path, test_summary=summary)
        log("reference network: recorded its test-set figures in the metadata")
    return net, meta
