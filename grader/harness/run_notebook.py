"""Runs INSIDE the kernel environment (and, from the grader issue on, inside the sandbox).

    python run_notebook.py WORKDIR

Executes WORKDIR/submission.ipynb with nbclient, every cell under a per-cell
timeout, then runs the harness cell, which feeds WORKDIR/.harness/images.npy to
the notebook's predict() and saves the raw predictions. It writes
WORKDIR/result.json and WORKDIR/executed.ipynb. It imports nothing from the site:
the kernel environment does not have the site's code.
"""
import json
import os
import resource
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

HARNESS_SOURCE = r'''
import numpy as _harness_np
_harness_images = _harness_np.load({images!r}, allow_pickle=False)
if "predict" not in globals() or not callable(globals()["predict"]):
    raise NameError("The notebook does not define a function predict(images).")
_harness_out = predict(_harness_images)
_harness_np.save({out!r}, _harness_np.asarray(_harness_out), allow_pickle=False)
'''


def write_result(workdir: Path, **result) -> None:
    (workdir / "result.json").write_text(json.dumps(result))


def main() -> int:
    workdir = Path(sys.argv[1]).resolve()
    config = json.loads((workdir / ".harness" / "config.json").read_text())
    nb = nbformat.read(workdir / "submission.ipynb", as_version=4)
    student_cells = len(nb.cells)
    harness = nbformat.v4.new_code_cell(
        HARNESS_SOURCE.format(images=str(workdir / ".harness" / "images.npy"), out=str(workdir / "predictions.npy"))
    )
    nb.cells.append(harness)
    client = NotebookClient(
        nb,
        timeout=config["cell_timeout_s"],
        kernel_name="python3",
        resources={"metadata": {"path": str(workdir)}},
        allow_errors=False,
        record_timing=True,
    )
    started = time.monotonic()
    outcome = {"status": "ok"}
    try:
        client.execute()
    except CellTimeoutError as exc:
        outcome = {"status": "failed", "kind": "cell_timeout", "detail": str(exc).splitlines()[0]}
    except DeadKernelError as exc:
        outcome = {"status": "failed", "kind": "dead_kernel", "detail": str(exc)}
    except CellExecutionError as exc:
        outcome = {"status": "failed", "kind": "exception", "ename": exc.ename, "evalue": exc.evalue}
    # Which cell stopped the run: the first one with an error output, or the one that never finished.
    failed_cell = None
    if outcome["status"] == "failed":
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            has_error = any(o.get("output_type") == "error" for o in cell.get("outputs", []))
            if has_error or "execution" not in cell.get("metadata", {}) or "shell.execute_reply" not in cell.metadata.get("execution", {}):
                failed_cell = index
                break
    outcome["cell"] = failed_cell
    outcome["in_harness"] = failed_cell is not None and failed_cell >= student_cells
    outcome["seconds"] = time.monotonic() - started
    # The kernel is our child and has been reaped by now, so this is its peak too.
    outcome["peak_memory_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    nb.cells.pop()  # the harness cell is ours, not the student's
    nbformat.write(nb, workdir / "executed.ipynb")
    write_result(workdir, **outcome)
    return 0


if __name__ == "__main__":
    os.umask(0o077)
    sys.exit(main())
