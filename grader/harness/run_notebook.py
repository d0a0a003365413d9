"""The grading harness. Runs INSIDE the sandbox, with the kernel environment's Python.

    python run_notebook.py INPUT_DIR RESULT_FD PROGRESS_FD

INPUT_DIR (read-only) holds submission.ipynb, images.npy (the test images in a
secret order, mixed with a noised copy) and config.json. The harness executes the
notebook with nbclient, each cell under a time limit and all of them under the total
limit, with stored output capped; then runs one more cell that calls the notebook's
predict(images) (or its torch `model`) and saves the labels; then renders the executed
notebook to HTML in a process of its own (render_notebook.py) under a time budget. It
sends one payload (payload.py) to RESULT_FD, a pipe that only this process holds (the
kernel and the renderer are started without it), and exits. As it starts each cell it
writes the cell's index (or "predict" for its own cell, "render" when it renders) as one
line to PROGRESS_FD, likewise its own: the worker names that cell if it has to stop the job.

It imports nothing from the site: the site's code is not in the sandbox.
"""
import ctypes
import json
import math
import os
import resource
import selectors
import signal
import stat
import subprocess
import sys
import threading
import time
import traceback
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import (
    CellControlSignal,
    CellExecutionError,
    CellTimeoutError,
    DeadKernelError,
)
from payload import encode
from render_notebook import STATE, STATE_BYTES

HERE = Path(__file__).resolve().parent
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
    _grader_declared(scope)
def _grader_declared(scope):
    # What the notebook says about itself (the template asks for these), for the feedback
    # page's coaching; checked again outside, and never part of the score.
    import itertools, json
    declared = {{}}
    try:  # at most 65 sizes read, whatever the object: an endless iterator must not hang the step
        declared["layer_sizes"] = [int(size) for size in itertools.islice(iter(scope["layer_sizes"]), 65)]
    except Exception:
        pass
    try:
        declared["train_accuracy"] = float(scope["train_accuracy"])
    except Exception:
        pass
    try:
        with open({declared!r}, "w") as fh:
            json.dump(declared, fh)
    except Exception:
        pass
_grader_predict()
'''
OUTPUT_KINDS = ("stream", "display_data", "execute_result", "error", "update_display_data")
ERROR_KEEP_CHARS = 8000  # of the failing cell's traceback, kept whatever the output budget
ERROR_IN_RESULT_CHARS = 6000  # of the same traceback, sent in the result's header
NOTICE_RESERVE = 400  # bytes kept back so that the first cut is explained in the notebook
MAX_LISTED_CELLS = 200
MAX_OUTPUT_DEPTH = 100  # JSON nesting of one output or widget message; real ones are a few levels deep
TOO_DEEP = sys.maxsize  # what _size says of content nested deeper: more than any budget
RENDER_ATTEMPTS = 4
RENDER_FIRST_SHARE = 0.75


class CappedClient(NotebookClient):
    """An nbclient that keeps at most `output_budget` bytes of outputs in memory (streams,
    errors, rich displays, display updates and widget state alike), stops every cell at
    the total deadline as well as the per-cell limit, and knows which cell it is on.

    clear_output gives back what it clears, so a live plot redrawn each epoch costs one
    plot, not one per epoch; nothing else is given back. The exact cap on what is sent
    back is applied afterwards by bound_outputs: this one bounds the harness's memory.
    """

    def __init__(self, *args, output_budget: int, deadline: float, **kwargs):
        super().__init__(*args, **kwargs, timeout_func=self._timeout_for, on_cell_start=self._on_cell_start)
        self.output_budget = output_budget
        self.deadline = deadline
        self.output_used = 0
        self.cell_used: dict[int, int] = {}
        self.truncated_cells: set[int] = set()
        self.widget_state_cut = False
        self.current_cell = None
        self.stopped_by_total = False
        self.first_error = None  # (cell index, trimmed copy) of the latest cell that showed an error

    def _on_cell_start(self, cell, cell_index):
        self.current_cell = cell_index

    def _timeout_for(self, cell) -> int:
        remaining = self.deadline - time.monotonic()
        self.stopped_by_total = remaining < self.timeout
        return max(1, math.ceil(min(self.timeout, remaining)))

    def process_message(self, msg, cell, cell_index):
        try:
            return self._process(msg, cell, cell_index)
        except CellControlSignal:
            raise  # how nbclient learns that the cell is done: not an error
        except Exception:  # noqa: BLE001 -- the kernel is the notebook's: it can send any message it likes
            self._note(cell, cell_index, f"a malformed {str(msg.get('msg_type'))[:40]!r} message from the kernel")
            return None

    def _process(self, msg, cell, cell_index):
        kind = msg["msg_type"]
        content = msg.get("content") or {}
        if kind in OUTPUT_KINDS:
            size = _size(content)
            if size == TOO_DEEP:
                self._note(cell, cell_index, f"an output nested more than {MAX_OUTPUT_DEPTH} levels deep")
                return None
            if kind == "error" and (self.first_error is None or self.first_error[0] != cell_index):
                self.first_error = (cell_index, trim_error(nbformat.v4.output_from_msg(msg)))
            captured = self._captured(msg)
            # A deferred clear_output(wait=True) empties the cell just before this output lands.
            clears = kind != "update_display_data" and self.clear_before_next_output and not captured
            refund = self.cell_used.get(cell_index, 0) if clears else 0
            if self.output_used - refund + size > self.output_budget:
                self.truncated_cells.add(cell_index)
                return None
            self.output_used += size - refund
            if not captured:  # an Output widget's outputs live in its state, not in the cell
                self.cell_used[cell_index] = self.cell_used.get(cell_index, 0) - refund + size
        elif kind == "clear_output" and not content.get("wait") and not self._captured(msg):
            self.output_used -= self.cell_used.pop(cell_index, 0)
        elif kind.startswith("comm") and isinstance(content.get("data"), dict) and "state" in content["data"]:
            size = _size(content["data"]) + sum(len(b) for b in msg.get("buffers") or []) * 4 // 3
            if self.output_used + size > self.output_budget:
                self.widget_state_cut = True
                return None
            self.output_used += size
        return super().process_message(msg, cell, cell_index)

    def _note(self, cell, cell_index, what: str) -> None:
        """Say where an output would have been why it is not (once per cell and kind, within budget)."""
        notice = nbformat.v4.new_output("stream", name="stderr", text=f"[grader] {what} was not kept\n")
        size = _size(notice)
        if self.output_used + size <= self.output_budget and notice not in cell.outputs:
            cell.outputs.append(notice)
            self.output_used += size
            self.cell_used[cell_index] = self.cell_used.get(cell_index, 0) + size

    def _captured(self, msg) -> bool:
        """Whether an Output widget takes this message instead of the cell."""
        return bool(self.output_hook_stack[msg["parent_header"].get("msg_id")])


def _size(value) -> int:
    """Roughly how many bytes a message's content takes, without copying it (it may be
    huge) and without recursion (it may be deep). Content nested deeper than
    MAX_OUTPUT_DEPTH counts as too large to keep: nbformat and nbconvert walk outputs
    recursively, and would fail in the harness (or the renderer) on it."""
    total, stack = 0, [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_OUTPUT_DEPTH:
            return TOO_DEEP
        if isinstance(item, (str, bytes)):
            total += len(item)
        elif isinstance(item, dict):
            total += 4 * len(item)
            stack.extend((key, depth + 1) for key in item)
            stack.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, (list, tuple)):
            total += len(item)
            stack.extend((child, depth + 1) for child in item)
        else:
            total += 8
    return total


def _json_len(value, depth: int) -> int | None:
    """Bytes `value` takes in the compact JSON we send, or None if it cannot be written.
    Measured at the depth it sits in the notebook, so that what measures fine also
    serialises fine as part of the whole."""
    wrapped = value
    for _ in range(depth):
        wrapped = [wrapped]
    try:
        return len(json.dumps(wrapped, ensure_ascii=False, separators=(",", ":")).encode()) - 2 * depth
    except (ValueError, TypeError, RecursionError):
        return None


def compact(nb) -> bytes:
    return json.dumps(nb, ensure_ascii=False, separators=(",", ":")).encode()


def trim_error(output, keep_chars: int = ERROR_KEEP_CHARS):
    """An error output short enough to keep whatever the budget: its name, the start of
    its message and the last lines of its traceback (where the cause is)."""
    traceback_lines = output.get("traceback")
    lines = [str(line)[:2000] for line in traceback_lines] if isinstance(traceback_lines, list) else []
    kept, used = [], 0
    for line in reversed(lines):
        if used + len(line) > keep_chars:
            kept.append(f"[grader] {len(lines) - len(kept)} earlier traceback lines were not kept")
            break
        kept.append(line)
        used += len(line)
    return nbformat.v4.new_output(
        "error", ename=str(output.get("ename", ""))[:200], evalue=str(output.get("evalue", ""))[:min(2000, keep_chars)],
        traceback=kept[::-1],
    )


def _notice(cap_kb: int):
    return nbformat.v4.new_output(
        "stream", name="stderr",
        text=f"[grader] further output of this cell was not kept: the notebook's outputs passed {cap_kb} KB "
             "(outputs of later cells were not kept either)\n",
    )


def bound_outputs(nb, allowed_bytes: int, cap_kb: int, failed_cell: int | None, first_error, cut_cells) -> dict:
    """Cut the executed notebook to at most `allowed_bytes` of compact JSON (the upload's
    size plus the output cap): outputs are kept in order until the budget is spent, then
    none; widget state only if it fits after them. The failing cell's first error is kept
    (trimmed) whatever else goes, so a failure still explains itself. Returns what was cut."""
    outputs = {}
    for index, cell in enumerate(nb.cells):
        if cell.get("cell_type") == "code":
            outputs[index], cell.outputs = cell.get("outputs", []), []
    widgets = nb.metadata.pop("widgets", None)
    budget = allowed_bytes - len(compact(nb)) - NOTICE_RESERVE
    kept_error = None
    if failed_cell is not None and failed_cell in outputs:
        errors = [o for o in outputs[failed_cell] if o.get("output_type") == "error"]
        if errors:
            kept_error = trim_error(errors[0])
        elif first_error is not None and first_error[0] == failed_cell:
            kept_error = first_error[1]  # the error itself was past the in-memory budget
        keep_chars = ERROR_KEEP_CHARS
        while kept_error is not None and (_json_len(kept_error, 4) or budget) + 1 > budget:
            # A small cap: shorten the traceback (escapes make characters and bytes differ) until it fits.
            keep_chars //= 2
            kept_error = trim_error(kept_error, keep_chars) if keep_chars else None
        if kept_error is not None:
            budget -= _json_len(kept_error, 4) + 1
    cut, stopped = set(cut_cells), False
    for index, outs in outputs.items():
        cell = nb.cells[index]
        for output in outs:
            if index == failed_cell and kept_error is not None and output.get("output_type") == "error":
                cell.outputs.append(kept_error)
                kept_error = None
                continue
            size = None if stopped else _json_len(output, 4)
            if size is not None and size + 1 <= budget:
                cell.outputs.append(output)
                budget -= size + 1
            else:
                stopped = True
                cut.add(index)
        if index == failed_cell and kept_error is not None:
            cell.outputs.append(kept_error)
    cut = sorted(i for i in cut if i in outputs)  # the prediction cell, cut in memory, is gone
    if cut:
        nb.cells[cut[0]].outputs.append(_notice(cap_kb))
    widget_state_kept = False
    if widgets is not None:
        size = _json_len(widgets, 2)
        if size is not None and size + len('"widgets":,') <= budget:
            nb.metadata["widgets"] = widgets
            widget_state_kept = True
    return {"truncated_cells": cut[:MAX_LISTED_CELLS], "truncated_count": len(cut),
            "widget_state_dropped": widgets is not None and not widget_state_kept}


def read_predictions(path: Path, n: int) -> tuple[dict, bytes | None]:
    """The header of the .npy file the prediction cell wrote, and the bytes of exactly n
    labels if the header describes n labels. The kernel wrote the file, so nothing in it is
    trusted: the header is parsed without building the array, and only n * itemsize bytes
    are read."""
    from numpy.lib import format as npy

    # Not a symlink, not a FIFO that would block us: a regular file or nothing.
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise ValueError("it is not a regular file")
        version = npy.read_magic(fh)
        if version == (1, 0):
            shape, _, dtype = npy.read_array_header_1_0(fh)
        elif version == (2, 0):
            shape, _, dtype = npy.read_array_header_2_0(fh)
        else:
            raise ValueError(f"unsupported .npy format version {version}")
        header = {"dtype": dtype.str, "dtype_name": str(dtype)[:100], "shape": [int(d) for d in shape][:64]}
        labels_like = dtype.kind in "biuf" and dtype.itemsize <= 8 and dtype.fields is None and dtype.subdtype is None
        if tuple(shape) != (n,) or not labels_like:
            return header, None  # the worker explains what is wrong from the header alone
        data = fh.read(n * dtype.itemsize + 1)
        if len(data) != n * dtype.itemsize:
            raise ValueError(f"it holds {len(data)} bytes of data where its header promises {n * dtype.itemsize}")
        return header, data


DECLARED_MAX_BYTES = 4096


def read_declared(path: Path) -> dict:
    """What the prediction cell recorded of the notebook's own declarations ({} if nothing
    readable): the kernel wrote the file, so it is read like the predictions, bounded."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        with os.fdopen(fd, "rb") as fh:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                return {}
            value = json.loads(fh.read(DECLARED_MAX_BYTES + 1)[:DECLARED_MAX_BYTES])
    except (OSError, ValueError, RecursionError):
        return {}
    return value if isinstance(value, dict) else {}


def refuse_inspection() -> None:
    """Make this process non-dumpable: the kernel runs as the same uid, and must not
    read our result pipe through /proc/<pid>/fd or ptrace us."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE = 4
    except (OSError, AttributeError):
        pass


def render_page(nb, budget_s: float, max_html_bytes: int) -> tuple[dict, bytes | None]:
    """The executed notebook as HTML, from a renderer process of its own, within budget_s
    in all. When a cell cannot be rendered, the first such cell is reported and the page
    is rendered again with that cell replaced by a notice, so the student still sees the
    rest of their notebook. The first attempt gets three quarters of the budget, so that a
    cell that takes forever still leaves time to render the others."""
    started = time.monotonic()
    deadline = started + budget_s
    first_failure = None
    for attempt in range(RENDER_ATTEMPTS):
        attempt_started = time.monotonic()
        until = started + RENDER_FIRST_SHARE * budget_s if attempt == 0 else deadline
        outcome, html = _render_once(compact(nb), until, max_html_bytes)
        if outcome["problem"] is None:
            break
        if outcome["problem"] == "timeout":
            outcome["allowed_s"] = round(until - attempt_started, 1)
        first_failure = first_failure or outcome
        cell = outcome.get("cell")
        if cell is None or not 0 <= cell < len(nb.cells) or outcome["problem"] == "crashed":
            break
        nb = _without_cell_content(nb, cell, outcome)
    result = first_failure or {"problem": None}
    return {**result, "seconds": time.monotonic() - started, "partial": first_failure is not None and html is not None}, html


def _without_cell_content(nb, index: int, outcome: dict):
    nb = nbformat.from_dict(json.loads(compact(nb)))
    cell = nb.cells[index]
    why = {"timeout": "showing it took too long", "too_large": "it is too large"}.get(outcome["problem"])
    text = f"[grader] this cell cannot be displayed: {outcome.get('detail') or why}\n"
    if cell.get("cell_type") == "code":
        cell.outputs = [nbformat.v4.new_output("stream", name="stderr", text=text)]
    else:
        cell.source = text
        cell.pop("attachments", None)
    return nb


def _render_once(notebook: bytes, deadline: float, max_html_bytes: int) -> tuple[dict, bytes | None]:
    state_fd = os.memfd_create("render-state")
    os.ftruncate(state_fd, STATE_BYTES)
    os.pwrite(state_fd, STATE.pack(-1, 0), 0)
    html, timed_out, too_large = bytearray(), False, False
    try:
        proc = subprocess.Popen(
            [sys.executable, str(HERE / "render_notebook.py"), str(state_fd), str(max_html_bytes)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, pass_fds=[state_fd], start_new_session=True,
        )
        threading.Thread(target=_feed, args=(proc.stdin, notebook), daemon=True).start()
        with selectors.DefaultSelector() as selector:
            selector.register(proc.stdout, selectors.EVENT_READ)
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    timed_out = True
                    break
                if not selector.select(timeout=remaining):
                    continue
                chunk = os.read(proc.stdout.fileno(), 1 << 16)
                if not chunk:
                    break
                html += chunk
                if len(html) > max_html_bytes:
                    too_large = True
                    break
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # it has said all it will; nothing it started may stay
        except ProcessLookupError:
            pass
        proc.wait()
        proc.stdout.close()
        state = os.pread(state_fd, STATE_BYTES, 0)
    finally:
        os.close(state_fd)
    cell, length = STATE.unpack_from(state)
    cell = None if cell < 0 else cell
    if timed_out:
        return {"problem": "timeout", "cell": cell}, None
    if too_large:
        return {"problem": "too_large", "cell": cell}, None
    try:
        report = json.loads(state[STATE.size:STATE.size + length]) if 0 < length <= STATE_BYTES else None
    except ValueError:
        report = None
    if not isinstance(report, dict):
        return {"problem": "crashed", "cell": cell, "detail": f"exit status {proc.returncode}"}, None
    if report.get("problem") is None:
        return {"problem": None}, bytes(html)
    return report, None


def _feed(pipe, data: bytes) -> None:
    try:
        pipe.write(data)
        pipe.close()
    except (BrokenPipeError, OSError):
        pass  # the renderer died or was killed; its exit says why


def progress_reporter(progress_fd: int, student_cells: int):
    def report(cell, cell_index, **kwargs):
        tell_progress(progress_fd, str(cell_index) if cell_index < student_cells else "predict")
    return report


def tell_progress(progress_fd: int, step: str) -> None:
    try:
        os.write(progress_fd, f"{step}\n".encode())
    except OSError:
        pass  # the worker stopped listening: it is stopping the job anyway


def run(input_dir: Path, config: dict, progress_fd: int) -> tuple[dict, dict[str, bytes]]:
    started = time.monotonic()
    upload_bytes = (input_dir / "submission.ipynb").stat().st_size
    nb = nbformat.read(input_dir / "submission.ipynb", as_version=4)
    # What the page shows is what the grader ran: outputs saved on the student's machine
    # would otherwise stay in every cell that a failure kept from running.
    for cell in nb.cells:
        if cell.get("cell_type") == "code":
            cell.outputs, cell.execution_count = [], None
    student_cells = len(nb.cells)
    predictions_path = Path(config["scratch_dir"]) / ".grader-predictions.npy"
    declared_path = Path(config["scratch_dir"]) / ".grader-declared.json"
    nb.cells.append(nbformat.v4.new_code_cell(
        PREDICT_CELL.format(images=str(input_dir / "images.npy"), out=str(predictions_path),
                            declared=str(declared_path))
    ))
    cap = config["stored_output_kb"] * 1024
    client = CappedClient(
        nb,
        timeout=config["cell_timeout_s"],
        deadline=started + config["total_timeout_s"],
        kernel_name="python3",
        resources={"metadata": {"path": config["workdir"]}},
        allow_errors=False,
        record_timing=False,  # per-cell timestamps would be output the cap does not see
        startup_timeout=120,
        output_budget=cap,
        on_cell_execute=progress_reporter(progress_fd, student_cells),
    )
    outcome = {"status": "ok"}
    try:
        client.execute()
    except CellTimeoutError as exc:
        kind = "total_timeout" if client.stopped_by_total else "cell_timeout"
        outcome = {"status": "failed", "kind": kind, "detail": str(exc).splitlines()[0][:500]}
    except DeadKernelError as exc:
        outcome = {"status": "failed", "kind": "dead_kernel", "detail": str(exc)[:500]}
    except CellExecutionError as exc:
        outcome = {"status": "failed", "kind": "exception", "ename": exc.ename, "evalue": str(exc.evalue)[:2000]}
    except MemoryError:
        outcome = {"status": "failed", "kind": "harness_memory"}
    except Exception as exc:
        if client.current_cell is None:
            raise  # before any cell ran (the kernel would not start): ours
        # While a cell ran, the kernel (which holds the message key, and so can send any
        # bytes it likes) sent something the Jupyter client could not read.
        traceback.print_exc()  # into the sandbox log, for the TA
        outcome = {"status": "failed", "kind": "kernel_message", "detail": f"{type(exc).__name__}: {str(exc)[:300]}"}
    outcome["seconds"] = time.monotonic() - started
    outcome["peak_memory_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    cell = client.current_cell if outcome["status"] == "failed" else None
    outcome["cell"] = cell
    outcome["in_harness"] = cell is not None and cell >= student_cells
    if cell is not None and client.first_error is not None and client.first_error[0] == cell:
        # The failing cell's error, for the page that explains the failure: the prediction
        # cell (and its output) is about to go, and a student cell's may be cut for space.
        error = trim_error(client.first_error[1], ERROR_IN_RESULT_CHARS)
        outcome["error"] = {"ename": error.ename, "evalue": error.evalue, "traceback": list(error.traceback)}
    nb.cells.pop()  # the prediction cell is ours, not the student's
    outcome.update(bound_outputs(nb, upload_bytes + cap, config["stored_output_kb"], cell, client.first_error,
                                 client.truncated_cells))
    outcome["widget_state_dropped"] = outcome["widget_state_dropped"] or client.widget_state_cut
    header, blobs = {"result": outcome}, {}
    if outcome["status"] == "ok":
        try:
            header["predictions"], data = read_predictions(predictions_path, config["labels_expected"])
            if data is not None:
                blobs["predictions"] = data
        except FileNotFoundError:
            outcome.update(status="failed", kind="no_predictions")
        except Exception as exc:  # noqa: BLE001 -- whatever the kernel left there (numpy raises several kinds)
            outcome.update(status="failed", kind="predictions_unreadable", detail=str(exc)[:300])
        outcome["declared"] = read_declared(declared_path)
    blobs["notebook"] = compact(nb)
    tell_progress(progress_fd, "render")
    outcome["render"], html = render_page(nb, config["render_timeout_s"], config["rendered_html_kb"] * 1024)
    if html is not None:
        blobs["html"] = html
    return header, blobs


def main() -> int:
    input_dir, result_fd, progress_fd = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    for fd in (result_fd, progress_fd):
        os.set_inheritable(fd, False)  # the kernel and the renderer, started below, must not get them
    refuse_inspection()
    config = json.loads((input_dir / "config.json").read_text())
    for var in ("HOME", "MPLCONFIGDIR", "JUPYTER_RUNTIME_DIR", "JUPYTER_DATA_DIR", "IPYTHONDIR"):
        if var in os.environ:
            Path(os.environ[var]).mkdir(parents=True, exist_ok=True)
    try:
        header, blobs = run(input_dir, config, progress_fd)
        payload = encode(header, blobs)
    except Exception:  # noqa: BLE001 -- a harness fault: reported as such, the worker decides whose it is
        payload = encode({"result": {"status": "harness_error", "detail": traceback.format_exc()[-4000:]}}, {})
    with os.fdopen(result_fd, "wb") as out:
        out.write(payload)
    return 0


if __name__ == "__main__":
    sys.exit(main())
