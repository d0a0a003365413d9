"""The grading harness. Runs INSIDE the sandbox, with the kernel environment's Python.

    python run_notebook.py INPUT_DIR RESULT_FD PROGRESS_FD IMAGES_FD

INPUT_DIR (read-only) holds submission.ipynb and config.json; no image. The harness
executes the notebook with nbclient, each cell under a time limit and all of them under
the total limit, with stored output capped; then runs one more cell of its own, which
asks the notebook's predict(images) (or its torch `model`) about the images (asking.py,
predict_cell.py); then renders the executed notebook to HTML in a process of its own
(rendering.py, render_notebook.py) under a time budget. It sends two payloads (payload.py)
to RESULT_FD, a pipe that only this process holds (the kernel and the renderer are started
without it): the result, predictions and executed notebook as soon as predict has answered
(the worker stores the score while the kernel shuts down and the page is drawn), then the
page, and exits. As it
starts each cell it writes the cell's index (or "predict" for its own cell, "render" when
it renders) as one line to PROGRESS_FD, likewise its own: the worker names that cell if it
has to stop the job.

The images come over IMAGES_FD, a pipe from the worker that only this process holds,
read when the notebook has run and then closed: uint8 pixels, 784 per image, in the order
they are to be asked, config["phases"] images per phase (the probe, then the test set).
This process is non-dumpable, so the kernel (same uid) can read neither its memory nor
its descriptors through /proc, and ptrace is refused by the seccomp filter.

It imports nothing from the site: the site's code is not in the sandbox, only this
directory. Its parts: protocol.py (what the result says), capture.py (running the cells
under their limits, outputs capped), trimming.py (the executed notebook cut to its budget),
asking.py (predict asked, phase by phase), rendering.py (the page), payload.py (the wire).
"""
import ctypes
import json
import math
import os
import resource
import sys
import time
import traceback
from pathlib import Path

import nbformat

import protocol
from asking import Asker, asked, prediction_cell, read_declared
from capture import CappedClient, execute
from charged import ChargedClock, namespace_pids, tree_pids
from payload import encode
from rendering import render_page
from trimming import bound_outputs, compact, failing_error


def run(input_dir: Path, config: dict, progress_fd: int, images_fd: int, send) -> tuple[dict, dict[str, bytes]]:
    """Run the notebook, ask predict, send(header, blobs) the result; return the page's payload."""
    started = time.monotonic()
    # Confined, every process in /proc is the job's; unconfined (development), /proc is the host's.
    clock = ChargedClock(namespace_pids if config.get("confined", True) else tree_pids(os.getpid()))
    wall_deadline = started + config.get("wall_backstop_s", 3 * config["total_timeout_s"])
    upload_bytes = (input_dir / "submission.ipynb").stat().st_size
    nb = nbformat.read(input_dir / "submission.ipynb", as_version=4)
    # What the page shows is what the grader ran: outputs saved on the student's machine
    # would otherwise stay in every cell that a failure kept from running.
    for cell in nb.cells:
        if cell.get("cell_type") == "code":
            cell.outputs, cell.execution_count = [], None
    student_cells = len(nb.cells)
    asker = Asker(images_fd, config["phases"], config["batch_size"], sealed=bool(config.get("seal_filter")),
                  writable=config.get("writable") or [])
    declared_path = Path(config["workdir"]) / ".grader-declared.json"
    nb.cells.append(nbformat.v4.new_code_cell(prediction_cell(asker, declared_path, config.get("seal_filter"))))
    cap = config["stored_output_kb"] * 1024
    client = CappedClient(
        nb, timeout=config["cell_timeout_s"], clock=clock, total_s=config["total_timeout_s"],
        wall_deadline=wall_deadline, kernel_name="python3", resources={"metadata": {"path": config["workdir"]}},
        allow_errors=False,
        record_timing=False,  # per-cell timestamps would be output the cap does not see
        # No student code runs while the kernel starts: only the backstop bounds it, so a
        # starved start is the host's (an exception here is the harness's, retried).
        startup_timeout=max(120, math.ceil(wall_deadline - time.monotonic())),
        output_budget=cap, on_cell_execute=progress_reporter(progress_fd, student_cells, asker),
    )
    try:
        outcome = execute(client, wall_deadline)  # the kernel is left up: shut down below
        if outcome["status"] != protocol.OK:
            # A cell stopped at its limit may still be running (and allocating): it ends
            # before anything else is done. After a run that ended well the kernel is idle.
            client.shut_down()
        asker.finish()
        predictions = None
        if outcome["status"] == protocol.OK:
            outcome, predictions = asked(asker, outcome)
            outcome["answered_at"] = asker.answered_at
        outcome["seconds"] = time.monotonic() - started
        outcome["charged_seconds"], outcome["starved_seconds"] = clock.now(), clock.starved
        # The processes it reaped (getrusage), and the kernel, still up now.
        outcome["peak_memory_mb"] = max(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
                                        client.kernel_peak_mb() or 0.0)
        cell = client.current_cell if outcome["status"] == protocol.FAILED else None
        outcome["cell"] = cell
        outcome["in_harness"] = cell is not None and cell >= student_cells
        # The failing cell's error, for the page that explains the failure: the prediction
        # cell (and its output) is about to go, and a student cell's may be cut for space.
        error = failing_error(outcome, cell, client.first_error)
        if error is not None:
            outcome["error"] = error
        nb.cells.pop()  # the prediction cell is ours, not the student's
        outcome.update(bound_outputs(nb, upload_bytes + cap, config["stored_output_kb"], cell, client.first_error,
                                     client.truncated_cells))
        outcome["widget_state_dropped"] = outcome["widget_state_dropped"] or client.widget_state_cut
        header, blobs = {"result": outcome}, {}
        if predictions is not None:
            header["predictions"], data = predictions
            if data is not None:
                blobs["predictions"] = data
        if outcome["status"] == protocol.OK:
            outcome["declared"] = read_declared(declared_path)
        blobs["notebook"] = compact(nb)
        # The result goes now, the kernel still up: the worker scores and stores it while the
        # kernel shuts down (a graceful shutdown takes a tenth of a second or more) and the
        # page is drawn.
        send(header, blobs)
    finally:
        client.shut_down()  # before the renderer starts: the page's memory is the job's too
    if outcome["status"] == protocol.HOST_BUSY:
        return {"result": {}}, {}  # the run is done again: no page to show for this one
    tell_progress(progress_fd, protocol.STEP_RENDER)
    render, html = render_page(nb, config["render_timeout_s"], config["rendered_html_kb"] * 1024, clock=clock.now)
    return {"result": {"render": render}}, ({"html": html} if html is not None else {})


def progress_reporter(progress_fd: int, student_cells: int, asker: Asker):
    def report(cell, cell_index, **kwargs):
        tell_progress(progress_fd, str(cell_index) if cell_index < student_cells else protocol.STEP_PREDICT)
        if cell_index >= student_cells and not asker.is_alive() and asker.listener is None:
            asker.begin()  # the notebook has run: only now are images read and asked about
    return report


def tell_progress(progress_fd: int, step: str) -> None:
    try:
        os.write(progress_fd, f"{step}\n".encode())
    except OSError:
        pass  # the worker stopped listening: it is stopping the job anyway


def refuse_inspection() -> None:
    """Make this process non-dumpable: the kernel runs as the same uid, and must not
    read our result pipe through /proc/<pid>/fd or ptrace us."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE = 4
    except (OSError, AttributeError):
        pass


def main() -> int:
    input_dir, result_fd, progress_fd, images_fd = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    for fd in (result_fd, progress_fd, images_fd):
        os.set_inheritable(fd, False)  # the kernel and the renderer, started below, must not get them
    refuse_inspection()
    config = json.loads((input_dir / "config.json").read_text())
    for var in ("HOME", "MPLCONFIGDIR", "JUPYTER_RUNTIME_DIR", "JUPYTER_DATA_DIR", "IPYTHONDIR"):
        if var in os.environ:
            Path(os.environ[var]).mkdir(parents=True, exist_ok=True)
    return send_result(result_fd, lambda send: run(input_dir, config, progress_fd, images_fd, send))


def send_result(result_fd: int, build) -> int:
    """Send what build(send) passes to send(header, blobs) (at most once, at once), then what
    it returns, (header, blobs), each as a payload of its own; if it raises, the harness's own
    fault (the worker decides whose it is) goes in place of the payload it did not send."""
    with os.fdopen(result_fd, "wb") as out:
        def send(header: dict, blobs: dict[str, bytes]) -> None:
            out.write(encode(header, blobs))
            out.flush()
        try:
            payload = encode(*build(send))
        except Exception:  # noqa: BLE001 -- a harness fault: reported as such
            payload = encode({"result": protocol.harness_error(traceback.format_exc()[-4000:])}, {})
        out.write(payload)
    return 0


if __name__ == "__main__":
    sys.exit(main())
