"""One grading run, from a claimed submission to the figures stored on it."""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
from django.conf import settings

from . import scoring
from .data import test_set
from .errors import StudentFault, SystemFault
from .runner import prepare_workdir, run_harness


@dataclass
class GradeResult:
    status: str  # "graded" or "failed"
    message: str
    accuracy: float | None = None
    run_seconds: float | None = None
    peak_memory_mb: float | None = None
    details: dict = field(default_factory=dict)


def grade_notebook_bytes(notebook_bytes: bytes, workdir: Path, heartbeat: Callable[[], None] = lambda: None) -> GradeResult:
    images, labels = test_set()
    # A fresh secret order per run: predictions only score if they follow the images,
    # so nothing copied from another run or printed in advance can match.
    order = np.random.default_rng(secrets.randbits(64)).permutation(len(images))
    prepare_workdir(workdir, notebook_bytes, images[order], settings.GRADER_CELL_TIMEOUT_S)
    run = run_harness(workdir, settings.GRADER_TOTAL_TIMEOUT_S, heartbeat)
    base = {"run_seconds": run.wall_seconds, "peak_memory_mb": run.peak_memory_mb}
    try:
        _raise_for_run(run)
        predictions_path = workdir / "predictions.npy"
        if not predictions_path.is_file():
            raise StudentFault("The notebook ran but no predictions were written; does predict(images) return?")
        try:
            raw = np.load(predictions_path, allow_pickle=False)
        except (ValueError, OSError) as exc:
            raise StudentFault(f"predict(images) returned something that is not an array of labels ({exc}).") from None
        predictions = scoring.unpermute(scoring.check_predictions(raw, len(images)), order)
    except StudentFault as fault:
        return GradeResult(status="failed", message=str(fault), **base)
    acc = scoring.accuracy(predictions, labels)
    return GradeResult(status="graded", message=f"Test accuracy {acc:.2%} on {len(labels)} images.", accuracy=acc, **base)


def _raise_for_run(run) -> None:
    result = run.result
    if run.timed_out:
        raise StudentFault(
            f"The notebook did not finish within {settings.GRADER_TOTAL_TIMEOUT_S} seconds in total and was stopped."
        )
    if not result:
        raise SystemFault(f"The harness ended without a result. Log tail:\n{run.log[-2000:]}")
    if result["status"] == "ok":
        return
    cell = result.get("cell")
    where = "the grading step that calls predict(images)" if result.get("in_harness") else f"cell {cell + 1 if cell is not None else '?'}"
    kind = result.get("kind")
    if kind == "cell_timeout":
        raise StudentFault(f"{where.capitalize()} ran longer than {settings.GRADER_CELL_TIMEOUT_S} seconds and was stopped.")
    if kind == "dead_kernel":
        raise StudentFault(f"The Python kernel died while running {where} (it crashed or was killed).")
    raise StudentFault(f"{where.capitalize()} raised {result.get('ename')}: {result.get('evalue')}")
