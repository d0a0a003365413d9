"""Every way a grading run can fail, named once: whose fault it is, what the student (or the
operator) is told, and, for the mistakes students make most, the mistake named with its fix.

A new failure kind is one FAILURES entry here (and the harness sending its protocol
kind); a new named mistake is one Mistake, given to the failures that mean it or
recognised by `raised` in the error the notebook raised. The pipeline asks diagnose()
how a run ended and raises what it answers; grader.explain draws the page from the
Mistake. (What is wrong with labels that did come back is worded by grader.scoring, which
names its mistakes from here.)

Messages are str.format templates over facts() of the run: `{limits.memory_mb}`, `{where}`
(the failing cell or the prediction step), `{Where}` (the same, capitalised), `{detail}`,
`{ename}`, `{evalue}`... Everything a fact holds came from the sandbox, which the notebook
could shape; it is substituted into our words, never read as a template.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .errors import HostBusy, StudentFault, SystemFault
from .harness import protocol
from .limits import Limits

if TYPE_CHECKING:
    from .runner import RunOutcome

STUDENT, HOST, SYSTEM = "student", "host", "system"  # whose fault: the student's is never retried
TEST_LABELS = "t10k-labels"
# NumPy's words for operands whose shapes do not fit (matmul, dot, broadcasting).
SHAPES_DO_NOT_FIT = re.compile(r"matmul: Input operand|shapes \(.{0,80}\) and \(.{0,80}\) not aligned|"
                               r"operands could not be broadcast together")


@dataclass(frozen=True)
class Mistake:
    """A mistake students make often, named on the failure page with its fix. `key` is
    stored with the failure (feedback["failure"]["mistake"]["key"]) and counted by the
    metrics, so it never changes."""

    key: str
    name: str
    fix: str  # a template over facts() and {function}, the function that raised
    torch_fix: str | None = None  # the same fix in PyTorch's words, for a notebook that imports torch
    # Recognises the mistake in an error the notebook raised: (ename, evalue, in_harness).
    raised: Callable[[str, str, bool], bool] | None = None
    about_predict: bool = False  # what predict returned was wrong: the page shows where predict is written


@dataclass(frozen=True)
class Failure:
    """One way a run ends without a grade."""

    key: str
    fault: str  # STUDENT, HOST or SYSTEM
    says: str  # the message, a template over facts()
    mistake: Mistake | None = None


TEMPLATE_TODO = Mistake(
    "template_todo", "A part of the template is not written yet",
    "`{function}` still ends in the template's `raise NotImplementedError`. Each TODO comment says what "
    "to write there: replace the TODO and the raise with your code (for predict, the forward pass and the "
    "index of the largest output for each image), run the whole notebook on your own machine, then upload it "
    "again.",
    raised=lambda ename, evalue, in_harness: ename == "NotImplementedError")
PROBABILITIES = Mistake(
    "probabilities", "predict returns scores, not labels",
    "predict(images) must return one digit per image, shape (N,). Your network's last layer gives ten scores "
    "per image: return the index of the largest, `scores.argmax(axis=1)`.", about_predict=True,
    torch_fix="predict(images) must return one digit per image, shape (N,). Your model's last layer gives ten "
    "scores per image: return the index of the largest, `model(x).argmax(dim=1).numpy()`, under `torch.no_grad()`.")
FLOATS = Mistake(
    "floats", "predict returns fractions, not whole labels",
    "predict(images) must return whole digits 0-9. If you return an average, a rounded score or a single "
    "probability, take the most likely digit instead: `scores.argmax(axis=1)`, and check for NaN (a loss "
    "that blew up during training).", about_predict=True)
SHAPE = Mistake(
    "shape", "predict returns the wrong number of labels",
    "predict(images) must return exactly one label per row of `images`, shape (len(images),). Predict for "
    "the images it is given (not a fixed set such as X_val), and in batches join the pieces with "
    "`np.concatenate`.", about_predict=True)
READS_TEST_LABELS = Mistake(
    "test_labels", "The notebook reads the test labels, which the grader does not give it",
    "The test labels stay outside the sandbox: your score is computed from your predictions alone. Measure "
    "accuracy on a validation split of the training set instead (the template holds out 5,000 training "
    "images as X_val, y_val), and load only the three files the grader provides.",
    raised=lambda ename, evalue, in_harness: ename in ("FileNotFoundError", "OSError", "IOError")
    and TEST_LABELS in evalue)
ARRAY_SHAPES = Mistake(
    "array_shapes", "Two arrays' shapes do not fit together",
    "A matrix product `a @ W` needs `a.shape[1] == W.shape[0]`, and `+` needs shapes NumPy can broadcast. Print "
    "the `.shape` of each array on the marked line: a batch X is (B, 784), W[l] is (sizes[l], sizes[l+1]) and "
    "b[l] is (sizes[l+1],). A transposed matrix or a missing reshape(-1, 784) is the usual cause.",
    raised=lambda ename, evalue, in_harness: ename == "ValueError" and bool(SHAPES_DO_NOT_FIT.search(evalue)))
NO_PREDICT = Mistake(
    "no_predict", "The notebook defines no predict(images)",
    "The grader calls `predict(images)` after your last cell. Define it at the top level of a cell (not "
    "inside a class or an `if`), with that exact name.",
    # The prediction cell's own NameError (protocol.NO_PREDICT_MESSAGE), not one of the notebook's.
    raised=lambda ename, evalue, in_harness: ename == "NameError" and in_harness
    and protocol.NO_PREDICT_MESSAGE in evalue)
SEALED = Mistake(
    "sealed", "predict tried to reach outside itself while it was asked",
    "While the grader asks predict(images), predict runs sealed, so that nothing it sees of one set of images "
    "can reach the next: it cannot open or write files, start processes, or open connections. Load what it needs "
    "(weights, data, modules) in a cell before, into variables, and have predict compute from those alone.",
    # The seal's seccomp filter answers EPERM, which Python words "Operation not permitted";
    # torch.save says it in a RuntimeError of its own ("open file failed ... not permitted").
    raised=lambda ename, evalue, in_harness: ename in ("PermissionError", "RuntimeError") and in_harness
    and "not permitted" in evalue)
MEMORY = Mistake(
    "memory", "The notebook ran out of memory",
    "The limit is {limits.memory_mb:,} MB for the whole notebook{held}. Keep arrays in float32, train and predict "
    "in mini-batches instead of on all 60,000 images at once, and `del` large arrays you no longer need.",
    # torch's allocator says so in a RuntimeError of its own.
    raised=lambda ename, evalue, in_harness: ename == "MemoryError"
    or (ename == "RuntimeError" and "DefaultCPUAllocator: can't allocate memory" in evalue))
# PyTorch notebooks' own slips (the pytorch kernel environment), in torch's words as raised.
MISSING_MODULE_SAYS = re.compile(r"No module named '(?P<module>[\w.]+)'")
NO_INTERNET_SAYS = re.compile(r"no internet connection|Temporary failure in name resolution|Name or service not known|"
                              r"Network is unreachable|urlopen error")
NO_GPU_SAYS = re.compile(r"Torch not compiled with CUDA enabled|Found no NVIDIA driver|No CUDA GPUs are available")
TENSOR = Mistake(
    "tensor", "predict returns a tensor that is still part of the training graph",
    "predict(images) must return plain labels, which the grader reads as a NumPy array; a tensor that tracks "
    "gradients cannot be turned into one. Compute them under `with torch.no_grad():` and hand back "
    "`scores.argmax(dim=1).numpy()` (or `.detach().numpy()` of the labels).",
    raised=lambda ename, evalue, in_harness: ename == "RuntimeError" and "that requires grad" in evalue)
CUDA = Mistake(
    "cuda", "The notebook asks for a GPU the grader does not have",
    "The grader runs PyTorch's CPU build, with no GPU. Choose the device instead of naming it: "
    "`device = 'cuda' if torch.cuda.is_available() else 'cpu'`, then `.to(device)` for the model and each "
    "batch; predict must still return a NumPy array on the CPU (`.cpu().numpy()`).",
    raised=lambda ename, evalue, in_harness: bool(NO_GPU_SAYS.search(evalue)))
NO_INTERNET = Mistake(
    "no_internet", "The notebook tries to download something, and the grader has no internet",
    "Nothing can be downloaded while the grader runs your notebook: no datasets, no pretrained weights "
    "(torch.hub), no packages. The MNIST training files are already in the directory named by "
    "`MNIST_DATA_DIR` (the template's first cell reads them), and a network for this project trains from "
    "scratch in a minute or two.",
    raised=lambda ename, evalue, in_harness: ename in ("URLError", "HTTPError", "gaierror", "ConnectionError",
                                                       "RuntimeError", "OSError")
    and bool(NO_INTERNET_SAYS.search(evalue)))
MISSING_MODULE = Mistake(
    "missing_module", "The notebook imports a library the grader does not have",
    "The assignment page lists the libraries your notebook can import; nothing else can be installed, since the "
    "grader has no internet. For MNIST you need no torchvision: the first cell of the template reads the "
    "training files from `MNIST_DATA_DIR` into NumPy arrays, and `torch.from_numpy` makes tensors of them.",
    raised=lambda ename, evalue, in_harness: ename == "ModuleNotFoundError" and bool(MISSING_MODULE_SAYS.search(evalue)))
TOTAL_TIME = Mistake(
    "total_time", "The notebook ran out of time",
    "The limit is {limits.total_timeout_s:,} s for the whole notebook{took}. Train for fewer epochs, or with fewer "
    "or smaller hidden layers, and avoid Python loops over single images: a batch of images is one matrix "
    "product. A few minutes of training on a CPU is enough for the project.")
CELL_TIME = Mistake(
    "cell_time", "A cell ran out of time",
    "The limit is {limits.cell_timeout_s:,} s per cell and {limits.total_timeout_s:,} s in all. Split long "
    "training over several cells, train for fewer epochs, and avoid Python loops over single images: a batch "
    "of images is one matrix product.")
# In the order an error is recognised: the first whose `raised` matches names it.
MISTAKES = {m.key: m for m in (TEMPLATE_TODO, PROBABILITIES, FLOATS, SHAPE, READS_TEST_LABELS, MEMORY, TENSOR, CUDA,
                               NO_INTERNET, MISSING_MODULE, ARRAY_SHAPES, NO_PREDICT, SEALED, TOTAL_TIME, CELL_TIME)}

# Conditions the worker sees besides the harness's kinds.
WALL_CLOCK_BUSY = "wall_clock_busy"  # the worker's wall clock stopped a job that kept its core busy
WALL_CLOCK_HOST = "wall_clock_host"  # ... one that was waiting for the host
MEMORY_LIMIT = "memory_limit"  # the watchdog stopped the job at its memory limit
OUT_OF_MEMORY = "out_of_memory"  # a cell (or predict) raised MemoryError
NOTHING_SENT = "nothing_sent"  # the harness sent no result
UNKNOWN = "unknown"  # a result no entry reads
UNREADABLE = "unreadable"  # reading or scoring the harness's answer raised: the notebook shaped it

FAILURES = {f.key: f for f in (
    Failure(WALL_CLOCK_BUSY, STUDENT,
            "The notebook did not finish within {limits.total_timeout_s} seconds in total and was stopped.",
            TOTAL_TIME),
    Failure(WALL_CLOCK_HOST, HOST,
            "the host was busy: the sandbox was stopped by the wall clock after {wall_seconds:.0f} s, the job "
            "having used {cpu_seconds:.1f} s of CPU (total limit {limits.total_timeout_s} s)"),
    Failure(MEMORY_LIMIT, STUDENT,
            "Your notebook used more than {limits.memory_mb} MB in total (all its processes together) and was "
            "{stopped_where}", MEMORY),
    Failure(protocol.HOST_BUSY, HOST,
            "the host was busy: a cell reached the wall-clock backstop after {seconds:.0f} s with "
            "{charged_seconds:.1f} s charged ({starved_seconds:.0f} s spent waiting for a CPU)"),
    Failure(protocol.HARNESS_ERROR, SYSTEM, "the grading harness failed: {detail_tail}"),
    # The sandbox was checked before this run, so a harness that sent nothing was
    # overwhelmed by the notebook (a fork bomb, a flood of output, memory).
    Failure(NOTHING_SENT, STUDENT,
            "The grader could not collect your notebook's results: the notebook exhausted a limit of the sandbox "
            "(memory {limits.memory_mb} MB, {limits.processes} processes, {limits.disk_mb} MB of disk) or "
            "interfered with the grading process."),
    Failure(protocol.TOTAL_TIMEOUT, STUDENT,
            "The notebook did not finish within {limits.total_timeout_s} seconds in total and was stopped.",
            TOTAL_TIME),
    Failure(protocol.CELL_TIMEOUT, STUDENT,
            "{Where} ran longer than {limits.cell_timeout_s} seconds and was stopped.", CELL_TIME),
    Failure(protocol.DEAD_KERNEL, STUDENT,
            "The Python kernel died while running {where}: it crashed (for example a segmentation fault or "
            "os._exit) or was killed for exceeding a limit ({limits.memory_mb} MB of memory, {limits.cpu_seconds} "
            "CPU seconds, {limits.processes} processes)."),
    Failure(OUT_OF_MEMORY, STUDENT,
            "{Where} ran out of memory (the limit is {limits.process_memory_mb} MB): {evalue_or_memory_error}",
            MEMORY),
    # What it raised names the mistake, if it is a named one (Mistake.raised, in grader.explain).
    Failure(protocol.EXCEPTION, STUDENT, "{Where} raised {ename}{colon_evalue}"),
    Failure(protocol.KERNEL_MESSAGE, STUDENT,
            "While {where} ran, the kernel sent the grader a message it could not read ({detail:.300}), and the "
            "run was stopped."),
    Failure(protocol.ISOLATION, STUDENT,
            "While the grader asked predict(images), {detail:.400}. predict must answer from what the notebook "
            "holds in memory: while it is asked it can open no file, start no process and connect to nothing, and "
            "the run is stopped if it leaves any trace.", SEALED),
    Failure(protocol.PREDICTIONS_UNREADABLE, STUDENT,
            "The labels predict(images) returned could not be read: {detail:.300}."),
    Failure(protocol.NO_PREDICTIONS, STUDENT, "The notebook ran, but predict(images) produced no labels."),
    Failure(protocol.HARNESS_MEMORY, STUDENT, "The notebook's output was too large for the grader to collect."),
    Failure(UNKNOWN, SYSTEM, "the harness ended in an unknown state: {result!r:.2000}"),
    Failure(UNREADABLE, STUDENT,
            "The grader could not read your notebook's results; staff can see why in the grading log."),
)}


@dataclass(frozen=True)
class Diagnosis:
    """How a run failed: its catalogue entry and the message with the run's figures."""

    failure: Failure
    message: str

    def error(self) -> Exception:
        if self.failure.fault == HOST:
            return HostBusy(self.message)
        if self.failure.fault == SYSTEM:
            return SystemFault(self.message)
        return StudentFault(self.message, mistake=self.failure.mistake.key if self.failure.mistake else None)


def diagnose(run: RunOutcome, limits: Limits) -> Diagnosis | None:
    """How the run failed, or None if it ran to its end with labels (which scoring then checks)."""
    key = _key(run, limits)
    if key is None:
        return None
    failure = FAILURES[key]
    return Diagnosis(failure, failure.says.format_map(facts(run, limits)))


def _key(run: RunOutcome, limits: Limits) -> str | None:
    """The catalogue entry for how the run ended: the worker's own observations first
    (they override whatever the harness managed to say), then the harness's status and kind."""
    if run.timed_out:
        # The worker's wall clock, far above the limits the harness keeps in charged time.
        # Only a job that kept its core busy for its whole total limit (its processes
        # stalled the harness) is the student's; anything else waited for the host.
        busy = run.cpu_seconds is not None and run.cpu_seconds >= limits.total_timeout_s
        return WALL_CLOCK_BUSY if busy else WALL_CLOCK_HOST
    if run.memory_exceeded:
        return MEMORY_LIMIT
    result = run.result
    status = result.get("status")
    if status in (protocol.HOST_BUSY, protocol.HARNESS_ERROR):
        return status
    if status is None:
        return NOTHING_SENT
    if status == protocol.OK:
        # A page that could not be drawn (or only in part) is no fault of the labels: the
        # grade stands, and the site draws the page again later (grader.rerender).
        return None if run.predictions is not None else protocol.NO_PREDICTIONS
    kind = result.get("kind")
    if status != protocol.FAILED or kind not in protocol.KINDS:
        return UNKNOWN
    if kind == protocol.EXCEPTION and result.get("ename") == "MemoryError":
        return OUT_OF_MEMORY
    return kind


def facts(run: RunOutcome, limits: Limits) -> dict:
    """What the messages may say about the run."""
    result = run.result if isinstance(run.result, dict) else {}
    cell = result.get("cell") if type(result.get("cell")) is int and result.get("cell") >= 0 else None
    where = ("the grading step that calls predict(images)" if result.get("in_harness")
             else f"cell {cell + 1}" if cell is not None else "a cell")
    last = run.last_cell or ""
    stopped_in = ("the grading step that calls predict(images)" if last == protocol.STEP_PREDICT
                  else "turning the executed notebook into a page" if last == protocol.STEP_RENDER
                  else f"cell {int(last) + 1}" if last.isdigit() else None)
    evalue = str(result.get("evalue") or "")
    return {
        "limits": limits, "result": result, "where": where, "Where": where.capitalize(),
        "stopped_where": f"stopped in {stopped_in}." if stopped_in else "stopped before its first cell ran.",
        "detail": str(result.get("detail")), "detail_tail": str(result.get("detail", ""))[-1500:],
        "ename": str(result.get("ename")), "evalue": evalue, "colon_evalue": f": {evalue}" if evalue else "",
        "evalue_or_memory_error": evalue or "MemoryError",
        "wall_seconds": run.wall_seconds or 0, "cpu_seconds": run.cpu_seconds or 0,
        "seconds": _number(result.get("seconds")) or 0,
        "charged_seconds": _number(result.get("charged_seconds")) or 0,
        "starved_seconds": _number(result.get("starved_seconds")) or 0,
    }


def fix(mistake: Mistake, limits: Limits, function: str, peak_memory_mb: float | None = None,
        seconds: float | None = None, torch: bool = False) -> str:
    """The mistake's fix (in PyTorch's words for a notebook that imports torch, where it has
    them), with the figures that were hit: the job's peak memory and the time it was
    charged, when the caller has them."""
    return (mistake.torch_fix if torch and mistake.torch_fix else mistake.fix).format(
        limits=limits, function=function,
        held=f"; it held {peak_memory_mb:,.0f} MB when it was stopped" if peak_memory_mb else "",
        took=f"; it had run for {seconds:,.0f} s" if seconds else "").strip()


def mistake_raised(ename: str, evalue: str, in_harness: bool) -> Mistake | None:
    """The named mistake an error the notebook raised shows, if any."""
    return next((m for m in MISTAKES.values() if m.raised and m.raised(ename, evalue, in_harness)), None)


def render_problem(render: dict, limits: Limits) -> str:
    """Why the executed notebook could not be shown (in full), naming the cell."""
    cell = render.get("cell")
    where = f"Cell {cell + 1}" if type(cell) is int and cell >= 0 else None
    problem = render.get("problem")
    detail = str(render.get("detail") or "")[:400]
    if problem == protocol.RENDER_TIMEOUT:
        allowed = _number(render.get("allowed_s")) or limits.render_timeout_s
        took = f"took longer than {allowed:g} seconds, the time allowed for turning the executed notebook into a page"
        return f"{where} could not be displayed: showing it {took}." if where else f"The executed notebook could not be displayed: showing it {took}."
    if problem == protocol.RENDER_TOO_LARGE:
        size = f"the page would be larger than {limits.rendered_html_kb // 1024} MB"
        return f"{where} is too large to display: {size}." if where else f"The executed notebook is too large to display: {size}."
    if problem == protocol.RENDER_CRASHED:
        return (f"{where} could not be displayed: the renderer stopped ({detail})." if where
                else f"The executed notebook could not be displayed: the renderer stopped ({detail}).")
    return (f"{where} has an output the grader cannot display: {detail}." if where
            else f"The executed notebook could not be displayed: {detail}.")


def _number(value) -> float | None:
    return float(value) if type(value) in (int, float) else None
