"""One grading run, from notebook bytes to the figures and feedback stored on a submission."""
from __future__ import annotations

import logging
import secrets
import traceback
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from django.conf import settings

from . import copies
from . import feedback as feedback_pictures
from . import scoring
from .data import nearest_mean_accuracy, test_set, training_sample
from .errors import HostBusy, StudentFault, SystemFault
from .explain import explain
from .reference import reference_summary
from .runner import RunOutcome, prepare_inputs, run_harness
from .limits import Limits

log = logging.getLogger(__name__)
GALLERY_SIZE = 32
UNREADABLE_RESULTS = "The grader could not read your notebook's results; staff can see why in the grading log."


@dataclass
class GradeResult:
    status: str  # "graded" or "failed"
    message: str
    accuracy: float | None = None
    public_accuracy: float | None = None
    private_accuracy: float | None = None
    flagged: bool = False
    flag_reason: str = ""
    run_seconds: float | None = None
    peak_memory_mb: float | None = None
    feedback: dict = field(default_factory=dict)
    notebook: str | None = None  # the executed notebook (compact JSON), outputs capped
    log_tail: str = ""
    html: bytes | None = None  # the executed notebook as a page, rendered in the sandbox
    # The renderer's account of that page: "problem" is None when it is whole; otherwise the
    # page is missing or partial, and a graded result's page is drawn again later.
    render: dict = field(default_factory=dict)


def grade_notebook_bytes(
    notebook_bytes: bytes,
    job_dir: Path,
    limits: Limits | None = None,
) -> GradeResult:
    """Run the notebook in the sandbox and score it. Raises SystemFault for faults that are not the student's.

    Everything the sandbox sends back is the notebook's to shape, so no exception from
    reading or scoring it escapes: anything but a SystemFault becomes a failed result.
    """
    limits = limits or Limits.from_settings()
    images, labels = test_set()
    reference = reference_summary()  # ours: if it fails, that is a system fault, raised before the run
    order, pixels = asking_order(images, np.random.default_rng(secrets.randbits(64)))
    input_dir = prepare_inputs(job_dir, notebook_bytes, [len(images), len(images)], limits,
                               settings.GRADER_PREDICT_BATCH)
    run = run_harness(job_dir, input_dir, limits, pixels.tobytes())
    return result_from_run(run, limits, order, labels, reference)


def asking_order(images: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(order, pixels): what predict is asked about, as uint8 rows, and which image each
    row is, as an index into [test images, probe images].

    The probe (the test images changed by a few levels of grey, made afresh for this run)
    comes first, the test images after it, each in a fresh secret order. The harness asks
    about them in that order, in small batches, the probe in one sealed process and the
    test images in another forked after it, everything else in the sandbox stopped
    meanwhile, so no probe image can be paired with its original, nothing of one phase
    reaches the next, and answers prepared in advance cannot follow the order.
    """
    n = len(images)
    probe = scoring.probe_images(images, rng)
    order = np.concatenate([n + rng.permutation(n), rng.permutation(n)])
    return order, np.concatenate([scoring.to_bytes(images), scoring.to_bytes(probe)])[order]


def check_notebook_bytes(notebook_bytes: bytes, job_dir: Path, limits: Limits | None = None,
                         sample_size: int | None = None) -> GradeResult:
    """A pre-flight check: run the notebook in the same sandbox, under the same limits, but
    ask predict for labels of a few public training images instead of the test set, and
    check only the contract (the labels come back, one integer 0-9 per image). Nothing is
    scored: status "graded" here means the grader would accept the notebook's answer, and
    a "failed" result carries the message a graded upload would have got. Raises
    SystemFault for faults that are not the student's, as grade_notebook_bytes does."""
    limits = limits or Limits.from_settings()
    images, labels = training_sample(sample_size or settings.GRADER_PREFLIGHT_SAMPLE)
    # One phase (no probe), asked in batches like a graded run.
    input_dir = prepare_inputs(job_dir, notebook_bytes, [len(images)], limits, settings.GRADER_PREDICT_BATCH)
    run = run_harness(job_dir, input_dir, limits, scoring.to_bytes(images).tobytes())
    return check_from_run(run, limits, labels)


def check_from_run(run: RunOutcome, limits: Limits, labels: np.ndarray) -> GradeResult:
    """The check's verdict from the harness's answer: the same faults, in the same words, as
    a graded run; when there are none, how the sample came out. Raises SystemFault only."""
    base = _base(run)
    limits_shown = {"limits": limits.as_dict(), "truncated_cells": run.result.get("truncated_cells", []),
                    "widget_state_dropped": bool(run.result.get("widget_state_dropped"))}
    try:
        _raise_for_run(run, limits)
        predicted = scoring.decode_predictions(run.predictions, len(labels))
    except SystemFault:
        raise
    except StudentFault as fault:
        render = run.result.get("render") if isinstance(run.result.get("render"), dict) else {}
        message = str(fault)
        if run.result.get("status") == "failed" and render.get("problem"):
            message += " " + _render_problem(render, limits)
        return GradeResult(status="failed", message=message, feedback={**limits_shown, "check": {
            "sample_size": int(len(labels)), "passed": False}}, **base)
    except Exception:  # the sandbox's answer made it fail; the trace is for the TAs
        log.exception("check result could not be built from the harness's answer")
        return GradeResult(status="failed", message=UNREADABLE_RESULTS,
                           **{**base, "log_tail": base["log_tail"] + "\n[grader] " + traceback.format_exc()[-4000:]})
    correct = int(np.sum(predicted == labels))
    check = {"sample_size": int(len(labels)), "passed": True, "correct": correct,
             "labels_seen": sorted({int(label) for label in predicted}),
             "dtype": str(run.predictions.dtype_name or run.predictions.dtype)[:40]}
    return GradeResult(
        status="graded",
        message=(f"The check passed: predict(images) returned {len(labels)} integer labels for {len(labels)} "
                 "training images, as the grader needs. No test image was scored."),
        feedback={**limits_shown, "check": check},
        **base,
    )


def _base(run: RunOutcome) -> dict:
    """What every result keeps of the run: its time, memory, executed notebook and log."""
    return {
        "run_seconds": run.wall_seconds,
        # The whole job's peak as the watchdog saw it (the harness sees only its kernel).
        "peak_memory_mb": run.memory_peak_mb if run.memory_peak_mb is not None else _number(run.result.get("peak_memory_mb")),
        "notebook": run.notebook,
        "html": run.html,
        "render": run.result.get("render") if isinstance(run.result.get("render"), dict) else {},
        # Why the harness's answer was unusable, if it was: for the TA reading the log.
        "log_tail": run.log_tail + (f"\n[grader] {run.payload_error}\n" if run.payload_error else "")
        + (f"\n[grader] stopped at the memory limit: {run.memory_detail}\n" if run.memory_exceeded else ""),
    }


def result_from_run(run: RunOutcome, limits: Limits, order: np.ndarray, labels: np.ndarray, reference: dict) -> GradeResult:
    """The grade from the harness's answer. Raises SystemFault only; anything else that
    goes wrong reading the answer is the notebook's doing and ends as a failed result."""
    base = _base(run)
    try:
        return _result(run, limits, order, labels, reference, base)
    except SystemFault:
        raise
    except Exception:  # the sandbox's answer made it fail; the trace is for the TAs
        log.exception("grading result could not be built from the harness's answer")
        return GradeResult(
            status="failed",
            message=UNREADABLE_RESULTS,
            **{**base, "log_tail": base["log_tail"] + "\n[grader] " + traceback.format_exc()[-4000:]},
        )


def _result(run: RunOutcome, limits: Limits, order: np.ndarray, labels: np.ndarray, reference: dict,
            base: dict) -> GradeResult:
    n = len(labels)
    render = run.result.get("render") if isinstance(run.result.get("render"), dict) else {}
    limits_shown = {
        "limits": limits.as_dict(),
        "truncated_cells": run.result.get("truncated_cells", []),
        "widget_state_dropped": bool(run.result.get("widget_state_dropped")),
        "render_seconds": _number(render.get("seconds")),
        # What the limits counted (running and sleeping, not waiting for a CPU), for TAs.
        "charged_seconds": _number(run.result.get("charged_seconds")),
    }
    try:
        _raise_for_run(run, limits)
        raw = scoring.decode_predictions(run.predictions, len(order))
    except StudentFault as fault:
        message = str(fault)
        if run.result.get("status") == "failed" and render.get("problem"):
            message += " " + _render_problem(render, limits)  # the page is missing or partial: say why
        # The time charged (charged.py), not the wall clock: waiting for the host is not the student's.
        charged = _number(run.result.get("charged_seconds"))
        failure = explain(run.result, run.notebook, message, fault.mistake, limits,
                          charged if charged is not None else run.wall_seconds, base["peak_memory_mb"])
        return GradeResult(status="failed", message=message, feedback={**limits_shown, "failure": failure}, **base)

    restored = scoring.unpermute(raw, order)
    public = scoring.halves(n)[0]
    clean, noisy = restored[:n], restored[n:]
    mine = scoring.summary(clean, labels)
    probe = scoring.probe_evidence(clean, noisy, labels)
    flagged = probe["z"] > settings.GRADER_PROBE_FLAG_Z
    wrong = np.flatnonzero(clean != labels)
    picks = wrong[np.linspace(0, len(wrong) - 1, min(GALLERY_SIZE, len(wrong))).astype(int)] if len(wrong) else wrong
    feedback = {
        **limits_shown,
        "per_digit": mine["per_digit"],
        "confusion": mine["confusion"],
        "reference": {**{k: reference[k] for k in ("accuracy", "public_accuracy", "private_accuracy", "per_digit",
                                                    "description")},
                      "public_per_digit": reference.get("public_per_digit")},
        "per_digit_delta": [a - b for a, b in zip(mine["per_digit"], reference["per_digit"])],
        "probe": {**probe, "flag_z": settings.GRADER_PROBE_FLAG_Z, "honest_worst_z": scoring.PROBE_HONEST_WORST_Z,
                  "batch_size": settings.GRADER_PREDICT_BATCH},
        "misclassified": [{"index": int(i), "true": int(labels[i]), "predicted": int(clean[i])} for i in picks],
        "misclassified_total": int(len(wrong)),
        # Every wrong test image, for the copy check's behaviour comparison (grader.copies).
        "wrong": copies.pack(clean != labels),
        "baseline": {"nearest_mean_accuracy": nearest_mean_accuracy()},
        "confused_pairs": feedback_pictures.confused_pairs(clean, labels, test_set()[0]),
        "declared": declared(run.result.get("declared")),
        # What a student sees before the private half is revealed: figures and example
        # images of the public half only.
        "public": {"per_digit": mine["public_per_digit"], "confusion": mine["public_confusion"],
                   "confused_pairs": feedback_pictures.confused_pairs(clean[public], labels[public],
                                                                       test_set()[0][public])},
    }
    flag_reason = scoring.probe_flag_reason(probe, settings.GRADER_PROBE_FLAG_Z) if flagged else ""
    return GradeResult(
        status="graded",
        message=f"Test accuracy {mine['accuracy']:.2%} on {n:,} images.",
        accuracy=mine["accuracy"],
        public_accuracy=mine["public_accuracy"],
        private_accuracy=mine["private_accuracy"],
        flagged=flagged,
        flag_reason=flag_reason,
        feedback=feedback,
        **base,
    )


MAX_LAYERS, MAX_LAYER_SIZE = 64, 1_000_000


def declared(value) -> dict:
    """What the notebook declared about itself (the template's `layer_sizes` and
    `train_accuracy`), kept only when it has the shape the contract asks for."""
    value = value if isinstance(value, dict) else {}
    kept = {}
    sizes = value.get("layer_sizes")
    if (isinstance(sizes, list) and 2 <= len(sizes) <= MAX_LAYERS
            and all(type(n) is int and 1 <= n <= MAX_LAYER_SIZE for n in sizes)):
        kept["layer_sizes"] = sizes
    train = value.get("train_accuracy")
    if type(train) in (int, float) and 0 <= train <= 1:
        kept["train_accuracy"] = float(train)
    kept.update(twice_asked(value))
    return kept


def twice_asked(value: dict) -> dict:
    """How many of the images the harness asked a torch notebook's predict about twice, before
    the test, got two different labels (grader/harness/fork_safety.py): dropout left on."""
    asked, changed = value.get("predict_asked_twice"), value.get("predict_disagreed")
    if type(asked) is int and type(changed) is int and 0 <= changed <= asked <= 1000:
        return {"predict_asked_twice": asked, "predict_disagreed": changed}
    return {}


def _number(value) -> float | None:
    return float(value) if type(value) in (int, float) else None


def _render_problem(render: dict, limits: Limits) -> str:
    """Why the executed notebook could not be shown (in full), naming the cell."""
    cell = render.get("cell")
    where = f"Cell {cell + 1}" if type(cell) is int and cell >= 0 else None
    problem = render.get("problem")
    detail = str(render.get("detail") or "")[:400]
    if problem == "timeout":
        allowed = _number(render.get("allowed_s")) or limits.render_timeout_s
        took = f"took longer than {allowed:g} seconds, the time allowed for turning the executed notebook into a page"
        return f"{where} could not be displayed: showing it {took}." if where else f"The executed notebook could not be displayed: showing it {took}."
    if problem == "too_large":
        size = f"the page would be larger than {limits.rendered_html_kb // 1024} MB"
        return f"{where} is too large to display: {size}." if where else f"The executed notebook is too large to display: {size}."
    if problem == "crashed":
        return (f"{where} could not be displayed: the renderer stopped ({detail})." if where
                else f"The executed notebook could not be displayed: the renderer stopped ({detail}).")
    return (f"{where} has an output the grader cannot display: {detail}." if where
            else f"The executed notebook could not be displayed: {detail}.")


def _raise_for_run(run: RunOutcome, limits: Limits) -> None:
    """Turn how the run ended into a StudentFault with a message that names the cell and the cause."""
    result = run.result
    if run.timed_out:
        # The worker's wall clock, far above the limits the harness keeps in charged time.
        # Only a job that kept its core busy for its whole total limit (its processes
        # stalled the harness) is the student's; anything else waited for the host.
        if run.cpu_seconds is not None and run.cpu_seconds >= limits.total_timeout_s:
            raise StudentFault(
                f"The notebook did not finish within {limits.total_timeout_s} seconds in total and was stopped.",
                mistake="total_time")
        raise HostBusy(f"the host was busy: the sandbox was stopped by the wall clock after {run.wall_seconds:.0f} s, "
                       f"the job having used {run.cpu_seconds or 0:.1f} s of CPU (total limit "
                       f"{limits.total_timeout_s} s)")
    if run.memory_exceeded:
        where = ("the grading step that calls predict(images)" if run.last_cell == "predict"
                 else "turning the executed notebook into a page" if run.last_cell == "render"
                 else f"cell {int(run.last_cell) + 1}" if (run.last_cell or "").isdigit() else None)
        raise StudentFault(
            f"Your notebook used more than {limits.memory_mb} MB in total (all its processes together) and was "
            + (f"stopped in {where}." if where else "stopped before its first cell ran."), mistake="memory"
        )
    status = result.get("status")
    if status == "host_busy":
        raise HostBusy(f"the host was busy: a cell reached the wall-clock backstop after {_number(result.get('seconds')) or 0:.0f} s "
                       f"with {_number(result.get('charged_seconds')) or 0:.1f} s charged "
                       f"({_number(result.get('starved_seconds')) or 0:.0f} s spent waiting for a CPU)")
    if status == "harness_error":
        raise SystemFault(f"the grading harness failed: {str(result.get('detail', ''))[-1500:]}")
    if status is None:
        # The sandbox was checked before this run, so a harness that sent nothing was
        # overwhelmed by the notebook (a fork bomb, a flood of output, memory).
        raise StudentFault(
            "The grader could not collect your notebook's results: the notebook exhausted a limit of the "
            f"sandbox (memory {limits.memory_mb} MB, {limits.processes} processes, {limits.disk_mb} MB of disk) "
            "or interfered with the grading process."
        )
    if status == "ok":
        if run.predictions is None:
            raise StudentFault("The notebook ran, but predict(images) produced no labels.")
        # A page that could not be drawn (or only in part) is no fault of the labels: the
        # grade stands, and the site draws the page again later (grader.rerender), with
        # more time, from the executed notebook it stores.
        return
    cell = result.get("cell") if type(result.get("cell")) is int and result.get("cell") >= 0 else None
    where = ("the grading step that calls predict(images)" if result.get("in_harness")
             else f"cell {cell + 1}" if cell is not None else "a cell")
    kind = result.get("kind")
    if kind == "total_timeout":
        raise StudentFault(
            f"The notebook did not finish within {limits.total_timeout_s} seconds in total and was stopped.",
            mistake="total_time")
    if kind == "cell_timeout":
        raise StudentFault(f"{where.capitalize()} ran longer than {limits.cell_timeout_s} seconds and was stopped.",
                           mistake="cell_time")
    if kind == "dead_kernel":
        raise StudentFault(
            f"The Python kernel died while running {where}: it crashed (for example a segmentation fault or "
            f"os._exit) or was killed for exceeding a limit ({limits.memory_mb} MB of memory, "
            f"{limits.cpu_seconds} CPU seconds, {limits.processes} processes)."
        )
    if kind == "exception" and result.get("ename") == "MemoryError":
        raise StudentFault(f"{where.capitalize()} ran out of memory (the limit is {limits.process_memory_mb} MB): "
                           f"{result.get('evalue') or 'MemoryError'}", mistake="memory")
    if kind == "exception":
        detail = f": {result['evalue']}" if result.get("evalue") else ""
        raise StudentFault(f"{where.capitalize()} raised {result.get('ename')}{detail}")
    if kind == "kernel_message":
        raise StudentFault(f"While {where} ran, the kernel sent the grader a message it could not read "
                           f"({str(result.get('detail'))[:300]}), and the run was stopped.")
    if kind == "isolation":
        raise StudentFault(
            f"While the grader asked predict(images), {str(result.get('detail'))[:400]}. predict must answer from what "
            "the notebook holds in memory: while it is asked it can open no file, start no process and connect to "
            "nothing, and the run is stopped if it leaves any trace.", mistake="sealed")
    if kind == "predictions_unreadable":
        raise StudentFault(f"The labels predict(images) returned could not be read: {str(result.get('detail'))[:300]}.")
    if kind == "no_predictions":
        raise StudentFault("The notebook ran, but predict(images) produced no labels.")
    if kind == "harness_memory":
        raise StudentFault("The notebook's output was too large for the grader to collect.")
    raise SystemFault(f"the harness ended in an unknown state: {result!r:.2000}")
