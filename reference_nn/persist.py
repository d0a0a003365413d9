"""Saving a trained network as ``<name>.npz`` (weights) plus ``<name>.json`` (metadata)."""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from .network import Network


def save(net: Network, path: str | Path, metadata: dict) -> tuple[Path, Path]:
    """Write weights and metadata side by side; return both paths. Writes are atomic."""
    path = Path(path).with_suffix("")
    path.parent.mkdir(parents=True, exist_ok=True)
    weights = path.with_suffix(".npz")
    meta = path.with_suffix(".json")
    arrays = {f"W{l}": W for l, W in enumerate(net.W)} | {f"b{l}": b for l, b in enumerate(net.b)}
    tmp = weights.with_name(weights.name + ".tmp.npz")
    np.savez(tmp, **arrays)
    os.replace(tmp, weights)
    full = {
        "sizes": net.sizes,
        "activation": net.activation,
        "loss": net.loss,
        "dtype": net.dtype.name,
        "seed": net.seed,
        **metadata,
    }
    tmp_meta = meta.with_name(meta.name + ".tmp")
    tmp_meta.write_text(json.dumps(full, indent=2, sort_keys=True))
    os.replace(tmp_meta, meta)
    return weights, meta


def update_metadata(path: str | Path, **fields) -> dict:
    """Add or replace top-level fields of the saved metadata (atomically); return all of it."""
    meta_path = Path(path).with_suffix(".json")
    meta = load_metadata(path)
    if meta is None:
        raise FileNotFoundError(f"no readable metadata at {meta_path}")
    meta.update(fields)
    tmp_meta = meta_path.with_name(meta_path.name + ".tmp")
    tmp_meta.write_text(json.dumps(meta, indent=2, sort_keys=True))
    os.replace(tmp_meta, meta_path)
    return meta


def load_metadata(path: str | Path) -> dict | None:
    meta = Path(path).with_suffix(".json")
    try:
        return json.loads(meta.read_text())
    except (OSError, ValueError):
        return None


def load(path: str | Path) -> tuple[Network, dict]:
    """Rebuild the network saved at ``path`` (with or without a suffix)."""
    path = Path(path).with_suffix("")
    meta = load_metadata(path)
    if meta is None:
        raise FileNotFoundError(f"no readable metadata at {path.with_suffix('.json')}")
    net = Network(meta["sizes"], activation=meta["activation"], loss=meta["loss"], seed=meta["seed"],
                  dtype=np.dtype(meta["dtype"]))
    with np.load(path.with_suffix(".npz"), allow_pickle=False) as arrays:
        for l in range(net.n_layers):
            net.W[l][...] = arrays[f"W{l}"]
            net.b[l][...] = arrays[f"b{l}"]
    return net, meta
