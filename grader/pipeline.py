"""One grading run, from notebook bytes to the figures and feedback stored on a submission."""
from __future__ import annotations

import logging
import secrets
import traceback
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import numpy as np
from django.conf import settings

from . import copies, failures
from . import feedback as feedback_pictures
from . import scoring
from .data import nearest_mean_accuracy, test_set, training_sample
from .errors import StudentFault, SystemFault
from .explain import explain
from .harness import protocol
from .reference import reference_summary
from .result import Check, Feedback, FailureShown, GradeResult, Probe, PublicHalf, RunFacts, Scores
from .runner import RunOutcome, prepare_inputs, run_harness
from .limits import Limits

log = logging.getLogger(__name__)
GALLERY_SIZE = 32
UNREADABLE_RESULTS = failures.FAILURES[failures.UNREADABLE].says


def grade_notebook_bytes(
    notebook_bytes: bytes,
    job_dir: Path,
    limits: Limits | None = None,
    on_graded=None,
) -> GradeResult:
    """Run the notebook in the sandbox and score it. Raises SystemFault for faults that are not the student's.

    Everything the sandbox sends back is the notebook's to shape, so no exception from
    reading or scoring it escapes: anything but a SystemFault becomes a failed result.

    `on_graded(result)`: called with a graded result as soon as predict's answers are
    scored, before the page is drawn (the result has no page yet: `render` is {}). The
    result returned at the end is then that one with the page: `html`, and `render`, which
    says why the page is missing or partial (a stopped or failed drawing included); its
    grade is the one given to on_graded, whatever happened to the page. A run that did not
    grade (failed, or stopped before it answered) is returned whole, as without on_graded.
    """
    limits = limits or Limits.from_settings()
    images, labels = test_set()
    reference = reference_summary()  # ours: if it fails, that is a system fault, raised before the run
    input_dir = prepare_inputs(job_dir, notebook_bytes, [len(images), len(images)], limits,
                               settings.GRADER_PREDICT_BATCH)
    graded = []
    with ThreadPoolExecutor(1, thread_name_prefix="asking-order") as pool:
        # The probe and the orders are made while the sandbox and its kernel start: the
        # harness reads the images only once the notebook has run.
        asking = pool.submit(asking_order, images, np.random.default_rng(secrets.randbits(64)))

        def scored(early: RunOutcome) -> None:
            result = result_from_run(early, limits, asking.result()[0], labels, reference)
            if result.status == "graded":
                graded.append(result)
                on_graded(result)

        run = run_harness(job_dir, input_dir, limits, lambda: asking.result()[1].tobytes(),
                          on_result=scored if on_graded else None)
        order = asking.result()[0]
    if graded:
        return replace(graded[0], html=run.html if not run.page_lost else None, render=page_of(run, limits))
    return result_from_run(run, limits, order, labels, reference)


def page_of(run: RunOutcome, limits: Limits) -> dict:
    """The renderer's account of a run whose result was already taken: why its page is
    missing when the job was stopped while drawing it, or the harness failed at it."""
    render = run.result.get("render")
    if run.page_lost or not isinstance(render, dict):
        if run.memory_exceeded:
            return {"problem": protocol.RENDER_CRASHED, "cell": None,
                    "detail": f"it needed more than {limits.memory_mb} MB of memory"}
        if run.timed_out:
            return {"problem": protocol.RENDER_TIMEOUT, "cell": None, "allowed_s": limits.render_timeout_s}
        return {"problem": protocol.RENDER_CRASHED, "cell": None,
                "detail": run.payload_error or "the page was not sent"}
    if render.get("problem") is None and run.html is None:
        return {**render, "problem": protocol.RENDER_CRASHED, "cell": None, "detail": "the page was not sent"}
    return render


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
    """A check: run the notebook in the same sandbox, under the same limits, but
    ask predict for labels of a few public training images instead of the test set, and
    check only the contract (the labels come back, one integer 0-9 per image). Nothing is
    scored: status "graded" here means the grader would accept the notebook's answer, and
    a "failed" result carries the message a graded upload would have got. Raises
    SystemFault for faults that are not the student's, as grade_notebook_bytes does."""
    limits = limits or Limits.from_settings()
    images, labels = training_sample(sample_size or settings.GRADER_CHECK_SAMPLE)
    # One phase (no probe), asked in batches like a graded run.
    input_dir = prepare_inputs(job_dir, notebook_bytes, [len(images)], limits, settings.GRADER_PREDICT_BATCH)
    run = run_harness(job_dir, input_dir, limits, scoring.to_bytes(images).tobytes())
    return check_from_run(run, limits, labels)


def check_from_run(run: RunOutcome, limits: Limits, labels: np.ndarray) -> GradeResult:
    """The check's verdict from the harness's answer: the same faults, in the same words, as
    a graded run; when there are none, how the sample came out. Raises SystemFault only."""
    base = _base(run)
    shown = RunFacts(limits=limits.as_dict(), truncated_cells=run.result.get("truncated_cells", []),
                     widget_state_dropped=bool(run.result.get("widget_state_dropped")))
    try:
        _raise_for_run(run, limits)
        predicted = scoring.decode_predictions(run.predictions, len(labels))
    except SystemFault:
        raise
    except StudentFault as fault:
        render = run.result.get("render") if isinstance(run.result.get("render"), dict) else {}
        message = str(fault)
        if run.result.get("status") == protocol.FAILED and render.get("problem"):
            message += " " + failures.render_problem(render, limits)
        return GradeResult(status="failed", message=message, feedback=Feedback(
            run=shown, check=Check(sample_size=int(len(labels)), passed=False)), **base)
    except Exception:  # the sandbox's answer made it fail; the trace is for the TAs
        log.exception("check result could not be built from the harness's answer")
        return GradeResult(status="failed", message=UNREADABLE_RESULTS,
                           **{**base, "log_tail": base["log_tail"] + "\n[grader] " + traceback.format_exc()[-4000:]})
    correct = int(np.sum(predicted == labels))
    check = Check(sample_size=int(len(labels)), passed=True, correct=correct,
                  labels_seen=sorted({int(label) for label in predicted}),
                  dtype=str(run.predictions.dtype_name or run.predictions.dtype)[:40])
    return GradeResult(
        status="graded",
        message=(f"The check passed: predict(images) returned {len(labels)} integer labels for {len(labels)} "
                 "training images, as the grader needs. No test image was scored."),
        feedback=Feedback(run=shown, check=check),
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
    shown = RunFacts(
        limits=limits.as_dict(),
        truncated_cells=run.result.get("truncated_cells", []),
        widget_state_dropped=bool(run.result.get("widget_state_dropped")),
        render_seconds=_number(render.get("seconds")),
        # What the limits counted (running and sleeping, not waiting for a CPU), for TAs.
        charged_seconds=_number(run.result.get("charged_seconds")),
        answered_at=_number(run.result.get("answered_at")),
    )
    try:
        _raise_for_run(run, limits)
        raw = scoring.decode_predictions(run.predictions, len(order))
    except StudentFault as fault:
        message = str(fault)
        if run.result.get("status") == protocol.FAILED and render.get("problem"):
            message += " " + failures.render_problem(render, limits)  # the page is missing or partial: say why
        # The time charged (charged.py), not the wall clock: waiting for the host is not the student's.
        charged = _number(run.result.get("charged_seconds"))
        failure = explain(run.result, run.notebook, fault.mistake, limits,
                          charged if charged is not None else run.wall_seconds, base["peak_memory_mb"])
        return GradeResult(status="failed", message=message,
                           feedback=Feedback(run=shown, failure=FailureShown.from_json(failure)), **base)

    restored = scoring.unpermute(raw, order)
    public = scoring.halves(n)[0]
    clean, noisy = restored[:n], restored[n:]
    mine = scoring.summary(clean, labels)
    probe = scoring.probe_evidence(clean, noisy, labels)
    flagged = probe["z"] > settings.GRADER_PROBE_FLAG_Z
    wrong = np.flatnonzero(clean != labels)
    picks = wrong[np.linspace(0, len(wrong) - 1, min(GALLERY_SIZE, len(wrong))).astype(int)] if len(wrong) else wrong
    scores = Scores(
        per_digit=mine["per_digit"],
        confusion=mine["confusion"],
        reference={**{k: reference[k] for k in ("accuracy", "public_accuracy", "private_accuracy", "per_digit",
                                                 "description")},
                   "public_per_digit": reference.get("public_per_digit")},
        per_digit_delta=[a - b for a, b in zip(mine["per_digit"], reference["per_digit"])],
        misclassified=[{"index": int(i), "true": int(labels[i]), "predicted": int(clean[i])} for i in picks],
        misclassified_total=int(len(wrong)),
        # Every wrong test image, for the copy check's behaviour comparison (grader.copies).
        wrong=copies.pack(clean != labels),
        baseline={"nearest_mean_accuracy": nearest_mean_accuracy()},
        confused_pairs=feedback_pictures.confused_pairs(clean, labels, test_set()[0]),
        declared=declared(run.result.get("declared")),
    )
    feedback = Feedback(
        run=shown, scores=scores,
        probe=Probe.from_json({**probe, "flag_z": settings.GRADER_PROBE_FLAG_Z,
                               "honest_worst_z": scoring.PROBE_HONEST_WORST_Z,
                               "batch_size": settings.GRADER_PREDICT_BATCH}),
        # What a student sees before the private half is revealed: figures and example
        # images of the public half only.
        public=PublicHalf(per_digit=mine["public_per_digit"], confusion=mine["public_confusion"],
                          confused_pairs=feedback_pictures.confused_pairs(clean[public], labels[public],
                                                                          test_set()[0][public])),
    )
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


def _raise_for_run(run: RunOutcome, limits: Limits) -> None:
    """Raise what grader.failures makes of how the run ended (a StudentFault names the cell and
    the cause); return if it ran to its end with labels."""
    diagnosis = failures.diagnose(run, limits)
    if diagnosis is not None:
        raise diagnosis.error()
