"""What the harness says about a run, in one place: the statuses and failure kinds of its
result, the fields each carries, and the steps it reports as it goes.

Plain Python with no imports: the harness imports it by its bare name inside the sandbox
(under the kernel environment's Python, from its own directory), and the worker imports
it as grader.harness.protocol to read the same words back. A kind is added here, sent by
the harness, and given its message in grader.failures; nothing else names it.

Every result is a JSON object with "status". A failed one has "kind" and the fields its
kind lists in FIELDS; any result may also carry the run's figures (RUN_FIELDS). The
notebook could shape much of what the harness sends, so the worker checks every field's
type where it reads it.
"""

# result["status"]
OK = "ok"
FAILED = "failed"  # the notebook's fault: "kind" says which
HOST_BUSY = "host_busy"  # the wall-clock backstop with the cell under its charged limit
HARNESS_ERROR = "harness_error"  # the harness's own fault: "detail" is its traceback

# result["kind"] of a failed run
TOTAL_TIMEOUT = "total_timeout"  # the notebook's charged time passed its total limit
CELL_TIMEOUT = "cell_timeout"  # one cell passed its charged limit
DEAD_KERNEL = "dead_kernel"  # the kernel (or a process asked about images) ended without an answer
EXCEPTION = "exception"  # a cell, or predict, raised: "ename", "evalue"
KERNEL_MESSAGE = "kernel_message"  # the kernel sent the Jupyter client something it could not read
ISOLATION = "isolation"  # a process asked about images was not sealed, or left a trace
PREDICTIONS_UNREADABLE = "predictions_unreadable"  # an answer that is neither labels nor an error
NO_PREDICTIONS = "no_predictions"  # the run ended without labels, for no reason of its own
HARNESS_MEMORY = "harness_memory"  # the harness ran out of memory collecting the outputs

# The fields each kind sends besides "status" and "kind" (all optional on the wire).
FIELDS = {
    TOTAL_TIMEOUT: ("detail",),
    CELL_TIMEOUT: ("detail",),
    DEAD_KERNEL: ("detail",),
    EXCEPTION: ("ename", "evalue", "traceback"),  # traceback: predict's, as IPython formats it
    KERNEL_MESSAGE: ("detail",),
    ISOLATION: ("detail",),
    PREDICTIONS_UNREADABLE: ("detail",),
    NO_PREDICTIONS: (),
    HARNESS_MEMORY: (),
}
KINDS = tuple(FIELDS)

# What any result may carry besides, whatever its status.
RUN_FIELDS = (
    "seconds", "charged_seconds", "starved_seconds", "peak_memory_mb",
    "cell",  # index of the cell that failed (the prediction cell's is one past the student's)
    "in_harness",  # the failure happened in the harness's own prediction cell
    "error",  # {"ename", "evalue", "traceback"} of the failing cell, trimmed
    "truncated_cells", "truncated_count", "widget_state_dropped",
    "declared",  # what the notebook declared about itself (layer_sizes, train_accuracy)
    "render",  # the renderer's account (RENDER_* below); in the second payload of a grading run
    "answered_at",  # when predict's last answer came (epoch seconds): how long the score took to store
)

# Steps written to the progress pipe besides a student cell's index.
STEP_PREDICT = "predict"
STEP_RENDER = "render"

# render["problem"]: None when the page is whole.
RENDER_TIMEOUT = "timeout"
RENDER_TOO_LARGE = "too_large"
RENDER_CRASHED = "crashed"  # the renderer ended without a report
RENDER_ERROR = "error"  # nbconvert could not render a cell: "detail" says why

# What the prediction cell raises (a NameError) when the notebook has nothing to ask.
NO_PREDICT_MESSAGE = "The notebook defines neither predict(images) nor a torch `model`."


def failed(kind: str, **fields) -> dict:
    """A failed run's result, of a kind listed above."""
    if kind not in FIELDS:
        raise ValueError(f"unknown failure kind {kind!r}")
    unknown = set(fields) - set(FIELDS[kind])
    if unknown:
        raise ValueError(f"{kind} carries no {sorted(unknown)}")
    return {"status": FAILED, "kind": kind, **fields}


def host_busy(detail: str) -> dict:
    return {"status": HOST_BUSY, "detail": detail}


def harness_error(detail: str) -> dict:
    return {"status": HARNESS_ERROR, "detail": detail}
