"""The grading harness. Runs INSIDE the sandbox, with the kernel environment's Python.

    python run_notebook.py INPUT_DIR RESULT_FD PROGRESS_FD

INPUT_DIR (read-only) holds submission.ipynb, images.npy (the test images in a
secret order, mixed with a noised copy) and config.json. The harness executes the
notebook with nbclient, each cell under a time limit and with stored output capped,
then runs one more cell that calls the notebook's predict(images) (or its torch
`model`) and saves the labels. It sends one JSON document to RESULT_FD, a pipe that
only this process holds (the kernel is started without it), and exits. As it starts
each cell it writes the cell's index (or "predict" for its own cell) as one line to
PROGRESS_FD, likewise its own: the worker names that cell if it has to stop the job.

It imports nothing from the site: the site's code is not in the sandbox.
"""
import base64
import ctypes
import json
import os
import resource
import sys
import time
import traceback
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

PREDICT_CELL = r'''
def _grader_predict():
    import numpy
    images = numpy.load({images!r}, allow_pickle=False)
    scope = globals()
    if callable(scope.get("predict")):
        labels = scope["predict"](images)
    elif scope.get("model") is not None and type(scope["model"]).__module__.split(".")[0] == "torch":
        import torch
        with torch.no_grad():
            labels = scope["model"](torch.from_numpy(images)).argmax(dim=1).numpy()
    else:
        raise NameError("The notebook defines neither predict(images) nor a torch `model`.")
    if labels is None:
        raise TypeError("predict(images) returned None; it must return one integer label per image.")
    labels = numpy.asarray(labels)
    if labels.dtype == object:
        raise TypeError("predict(images) returned a mix of objects; it must return one integer label per image.")
    numpy.save({out!r}, labels, allow_pickle=False)
_grader_predict()
'''
MAX_PREDICTIONS_BYTES = 8 * 1024 * 1024


class CappedClient(NotebookClient):
    """An nbclient that stops storing outputs past a byte budget, so a notebook that
    prints a gigabyte cannot exhaust the harness's memory or the database."""

    def __init__(self, *args, output_budget: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.output_budget = output_budget
        self.output_used = 0
        self.truncated_cells = set()

    def output(self, outs, msg, display_id, cell_index):
        size = _size(msg.get("content", {}))
        if msg["msg_type"] == "error":
            size = min(size, 20_000)  # errors are always kept: they explain a failure
        elif self.output_used + size > self.output_budget:
            if cell_index not in self.truncated_cells:
                self.truncated_cells.add(cell_index)
                notice = nbformat.v4.new_output(
                    "stream", name="stderr",
                    text=f"[grader] further output of this cell was not kept: the notebook's outputs "
                         f"passed {self.output_budget // 1024} KB\n",
                )
                outs.append(notice)
            return None
        self.output_used += size
        return super().output(outs, msg, display_id, cell_index)


def _size(value) -> int:
    """Roughly how many bytes an output takes, without copying it (it may be huge)."""
    if isinstance(value, (str, bytes)):
        return len(value)
    if isinstance(value, dict):
        return sum(_size(k) + _size(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return sum(_size(v) for v in value)
    return 8


def refuse_inspection() -> None:
    """Make this process non-dumpable: the kernel runs as the same uid, and must not
    read our result pipe through /proc/<pid>/fd or ptrace us."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE = 4
    except (OSError, AttributeError):
        pass


def failed_cell_index(nb, student_cells: int):
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        has_error = any(o.get("output_type") == "error" for o in cell.get("outputs", []))
        finished = "shell.execute_reply" in cell.get("metadata", {}).get("execution", {})
        if has_error or not finished:
            return index
    return None


def progress_reporter(progress_fd: int, student_cells: int):
    def report(cell, cell_index, **kwargs):
        try:
            os.write(progress_fd, f"{cell_index if cell_index < student_cells else 'predict'}\n".encode())
        except OSError:
            pass  # the worker stopped listening: it is stopping the job anyway
    return report


def run(input_dir: Path, config: dict, progress_fd: int) -> dict:
    nb = nbformat.read(input_dir / "submission.ipynb", as_version=4)
    student_cells = len(nb.cells)
    predictions_path = Path(config["scratch_dir"]) / ".grader-predictions.npy"
    nb.cells.append(nbformat.v4.new_code_cell(
        PREDICT_CELL.format(images=str(input_dir / "images.npy"), out=str(predictions_path))
    ))
    client = CappedClient(
        nb,
        timeout=config["cell_timeout_s"],
        kernel_name="python3",
        resources={"metadata": {"path": config["workdir"]}},
        allow_errors=False,
        record_timing=True,
        startup_timeout=120,
        output_budget=config["stored_output_kb"] * 1024,
        on_cell_execute=progress_reporter(progress_fd, student_cells),
    )
    outcome = {"status": "ok"}
    started = time.monotonic()
    try:
        client.execute()
    except CellTimeoutError as exc:
        outcome = {"status": "failed", "kind": "cell_timeout", "detail": str(exc).splitlines()[0][:500]}
    except DeadKernelError as exc:
        outcome = {"status": "failed", "kind": "dead_kernel", "detail": str(exc)[:500]}
    except CellExecutionError as exc:
        outcome = {"status": "failed", "kind": "exception", "ename": exc.ename, "evalue": str(exc.evalue)[:2000]}
    except MemoryError:
        outcome = {"status": "failed", "kind": "harness_memory"}
    outcome["seconds"] = time.monotonic() - started
    outcome["peak_memory_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    outcome["truncated_cells"] = sorted(client.truncated_cells)
    cell = failed_cell_index(nb, student_cells) if outcome["status"] == "failed" else None
    outcome["cell"] = cell
    outcome["in_harness"] = cell is not None and cell >= student_cells
    nb.cells.pop()  # the prediction cell is ours, not the student's
    payload = {"result": outcome, "notebook": nbformat.writes(nb), "predictions": None}
    if outcome["status"] == "ok":
        try:
            size = predictions_path.stat().st_size
            if size <= MAX_PREDICTIONS_BYTES:
                payload["predictions"] = base64.b64encode(predictions_path.read_bytes()).decode()
            else:
                payload["result"] = {**outcome, "status": "failed", "kind": "predictions_too_large", "size": size}
        except OSError:
            payload["result"] = {**outcome, "status": "failed", "kind": "no_predictions"}
    return payload


def main() -> int:
    input_dir, result_fd, progress_fd = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    for fd in (result_fd, progress_fd):
        os.set_inheritable(fd, False)  # the kernel, started below, must not get them
    refuse_inspection()
    config = json.loads((input_dir / "config.json").read_text())
    for var in ("HOME", "MPLCONFIGDIR", "JUPYTER_RUNTIME_DIR", "JUPYTER_DATA_DIR", "IPYTHONDIR"):
        if var in os.environ:
            Path(os.environ[var]).mkdir(parents=True, exist_ok=True)
    try:
        payload = run(input_dir, config, progress_fd)
    except Exception:  # a harness fault: reported as such, the worker decides whose it is
        payload = {"result": {"status": "harness_error", "detail": traceback.format_exc()[-4000:]}}
    with os.fdopen(result_fd, "w") as out:
        json.dump(payload, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
