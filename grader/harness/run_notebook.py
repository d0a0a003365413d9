"""The grading harness. Runs INSIDE the sandbox, with the kernel environment's Python.

    python run_notebook.py INPUT_DIR RESULT_FD PROGRESS_FD IMAGES_FD

INPUT_DIR (read-only) holds submission.ipynb and config.json; no image. The harness
executes the notebook with nbclient, each cell under a time limit and all of them under
the total limit, with stored output capped; then runs one more cell of its own, which
asks the notebook's predict(images) (or its torch `model`) about the images (see Asker);
then renders the executed notebook to HTML in a process of its own (render_notebook.py)
under a time budget. It sends one payload (payload.py) to RESULT_FD, a pipe that only this
process holds (the kernel and the renderer are started without it), and exits. As it
starts each cell it writes the cell's index (or "predict" for its own cell, "render" when
it renders) as one line to PROGRESS_FD, likewise its own: the worker names that cell if it
has to stop the job.

The images come over IMAGES_FD, a pipe from the worker that only this process holds,
read when the notebook has run and then closed: uint8 pixels, 784 per image, in the order
they are to be asked, config["phases"] images per phase (the probe, then the test set).
This process is non-dumpable, so the kernel (same uid) can read neither its memory nor
its descriptors through /proc, and ptrace is refused by the seccomp filter.

It imports nothing from the site: the site's code is not in the sandbox.
"""
import asyncio
import ctypes
import io
import json
import math
import os
import resource
import select
import selectors
import signal
import socket
import stat
import struct
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
import isolation
from charged import ChargedClock, namespace_pids, tree_pids
from payload import encode
from render_notebook import STATE, STATE_BYTES
from fork_safety import BEFORE_FORK

HERE = Path(__file__).resolve().parent
# The harness's own last cell, run in the kernel once the notebook has run. It forks the
# kernel once per phase, one phase after the other: each child connects to the harness's
# socket, answers the batches it is sent and nothing else, and exits before the next
# child is forked. The asking (Asker) happens in the harness.
PREDICT_CELL = r'''
def _grader_predict(address, phases):
    import io, json, os, socket, struct, sys  # here, not in a child: nothing is imported after the fork
    import numpy
    try:  # IPython imports its traceback machinery when it first formats one: a sealed child could not
        raise ValueError("warming up the traceback formatter")
    except ValueError as exc:
        try:
            get_ipython().InteractiveTB.structured_traceback(type(exc), exc, exc.__traceback__)
        except BaseException:
            pass
    scope = globals()
    if callable(scope.get("predict")):
        def answer(images):
            return scope["predict"](images)
    elif scope.get("model") is not None and type(scope["model"]).__module__.split(".")[0] == "torch":
        import torch

        def answer(images):
            with torch.no_grad():
                return scope["model"](torch.from_numpy(images)).argmax(dim=1).numpy()
    else:
        raise NameError("The notebook defines neither predict(images) nor a torch `model`.")

    def exactly(sock, n):
        data = bytearray(n)
        view, got = memoryview(data), 0
        while got < n:
            step = sock.recv_into(view[got:])
            if not step:
                raise EOFError
            got += step
        return data

    def seal(sock):
        # Before the first image: nothing this process does from here on may reach another
        # process of the sandbox, now or later (the harness checks each step from outside
        # and stops everything else while it asks). Standard streams go to /dev/null, every
        # other descriptor but the harness's socket is closed, memory shared with other
        # processes is unmapped, and a seccomp filter refuses files, sockets, processes,
        # signals and locks (grader/syscall_filter.py, PREDICT_REFUSED).
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        program = open(SEAL_FILTER, "rb").read() if SEAL_FILTER else b""
        with open("/proc/self/maps") as fh:
            shared = [line.split()[0] for line in fh if SHARED_WRITABLE(line)]
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        sys.stdout = sys.stderr = io.open(1, "w", closefd=False)  # the kernel's streams belong to its parent
        keep = sock.fileno()
        os.closerange(3, keep)
        os.closerange(keep + 1, 1 << 20)
        for span in shared:
            low, high = (int(end, 16) for end in span.split("-"))
            libc.munmap(ctypes.c_void_p(low), ctypes.c_size_t(high - low))
        if program:
            class Program(ctypes.Structure):
                _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]
            code = ctypes.create_string_buffer(program, len(program))
            libc.prctl(38, 1, 0, 0, 0)  # PR_SET_NO_NEW_PRIVS (bwrap set it already)
            number = {"x86_64": 317, "aarch64": 277}.get(os.uname().machine, 317)  # seccomp(2)
            # SECCOMP_SET_MODE_FILTER with SECCOMP_FILTER_FLAG_TSYNC: every thread alike
            if libc.syscall(number, 1, 1, ctypes.byref(Program(len(program) // 8, ctypes.addressof(code)))) != 0:
                raise OSError(ctypes.get_errno(), "the grader could not seal the process asked about images")
        sock.sendall(b"SEALED!!")

    def SHARED_WRITABLE(line):
        # Memory shared with another process that either could write: a file's read-only
        # mapping from the read-only mounts (glibc maps its gconv cache so) cannot carry anything.
        fields = line.split()
        return len(fields) > 1 and fields[1][3:4] == "s" and not (
            "w" not in fields[1] and len(fields) > 5 and fields[5].startswith(("/usr/", "/opt/kernel/")))

    def serve():
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.connect(address)
        try:
            seal(sock)
        except BaseException as exc:  # the harness says why the run cannot go on
            report = json.dumps({"error": f"{type(exc).__name__}: {exc}"[:500]}).encode()
            sock.sendall(b"UNSEALED" + struct.pack("<q", len(report)) + report)
            return 1
        while True:
            rows, = struct.unpack("<q", exactly(sock, 8))
            if rows == 0:
                return 0
            images = numpy.frombuffer(exactly(sock, rows * 784 * 4), dtype=numpy.float32).reshape(rows, 784)
            try:
                labels = answer(images)
                if labels is None:
                    raise TypeError("predict(images) returned None; it must return one integer label per image.")
                labels = numpy.asarray(labels)
                if labels.dtype == object:
                    raise TypeError("predict(images) returned a mix of objects; it must return one integer label per image.")
                out = io.BytesIO()
                numpy.save(out, labels, allow_pickle=False)
                message = b"L" + out.getvalue()
            except BaseException as exc:  # sys.exit() in predict is an error of predict's too
                try:  # as IPython shows it (which cell, which line): the page points at the student's line
                    lines = get_ipython().InteractiveTB.structured_traceback(type(exc), exc, exc.__traceback__)
                    lines = [str(line)[:2000] for line in lines][-20:]
                except BaseException:
                    lines = []
                message = b"E" + json.dumps({"ename": type(exc).__name__, "evalue": str(exc)[:2000],
                                             "traceback": lines}).encode()
            sock.sendall(struct.pack("<q", len(message)) + message)
            if message[:1] == b"E":
                return 1

    for _ in range(phases):
        child = os.fork()
        if child == 0:
            code = 1
            try:
                code = serve()
            finally:
                os._exit(code)
        if os.waitpid(child, 0)[1] != 0:
            break  # the harness knows why: the child told it, or stopped answering
def _grader_declared(scope, path):
    # What the notebook says about itself (the template asks for these), for the feedback
    # page's coaching; checked again outside, and never part of the score.
    import itertools, json
    declared = {}
    try:  # at most 65 sizes read, whatever the object: an endless iterator must not hang the step
        declared["layer_sizes"] = [int(size) for size in itertools.islice(iter(scope["layer_sizes"]), 65)]
    except Exception:
        pass
    try:
        declared["train_accuracy"] = float(scope["train_accuracy"])
    except Exception:
        pass
    try:  # the torch notebook's predict asked twice (fork_safety.py): for the page, never the score
        declared.update(scope["_grader_twice"])
    except Exception:
        pass
    try:
        with open(path, "w") as fh:
            json.dump(declared, fh)
    except Exception:
        pass
_grader_declared(globals(), DECLARED_PATH)
_grader_predict(ADDRESS, PHASES)
del _grader_predict, _grader_declared, _grader_twice
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
    the total limit as well as the per-cell limit, both in charged time (charged.py), and
    knows which cell it is on.

    The limits are kept by a watcher that races each cell's reply: past the cell's charged
    limit it stops the cell the way nbclient's own timeout does (CellTimeoutError; the
    kernel is then shut down). nbclient's wall-clock timeout stays, as a backstop at
    `wall_deadline` (several times the total limit): reaching it means the host starved
    the job, and `starved` says so.

    clear_output gives back what it clears, so a live plot redrawn each epoch costs one
    plot, not one per epoch; nothing else is given back. The exact cap on what is sent
    back is applied afterwards by bound_outputs: this one bounds the harness's memory.
    """

    WATCH_S = 0.25  # how often a running cell's charged time is sampled

    def __init__(self, *args, output_budget: int, clock: ChargedClock, total_s: float, wall_deadline: float,
                 **kwargs):
        super().__init__(*args, **kwargs, timeout_func=self._timeout_for, on_cell_start=self._on_cell_start)
        self.output_budget = output_budget
        self.clock, self.total_s, self.wall_deadline = clock, total_s, wall_deadline
        self.output_used = 0
        self.cell_used: dict[int, int] = {}
        self.truncated_cells: set[int] = set()
        self.widget_state_cut = False
        self.current_cell = None
        self.stopped_by_total = False
        self.cell_limit = float(self.timeout)  # charged seconds the current cell may take
        self.cell_began = 0.0  # charged time when it started
        self.charged_stop = False  # the watcher stopped a cell (else a CellTimeoutError is the backstop's)
        self.first_error = None  # (cell index, trimmed copy) of the latest cell that showed an error

    def _on_cell_start(self, cell, cell_index):
        self.current_cell = cell_index

    def _timeout_for(self, cell) -> int:
        """The cell's charged limit (kept by the watcher), and nbclient's wall-clock backstop."""
        self.cell_began = self.clock.now()
        remaining = self.total_s - self.cell_began
        self.stopped_by_total = remaining < self.timeout
        self.cell_limit = max(0.0, min(self.timeout, remaining))
        return max(1, math.ceil(self.wall_deadline - time.monotonic()))

    async def _async_poll_for_reply(self, msg_id, cell, timeout, task_poll_output_msg, task_poll_kernel_alive):
        reply = asyncio.ensure_future(super()._async_poll_for_reply(
            msg_id, cell, timeout, task_poll_output_msg, task_poll_kernel_alive))
        watcher = asyncio.ensure_future(self._charged_limit_passed())
        try:
            await asyncio.wait({reply, watcher}, return_when=asyncio.FIRST_COMPLETED)
            if reply.done():
                return reply.result()
            self.charged_stop = True
            reply.cancel()
            task_poll_kernel_alive.cancel()
            await self._async_handle_timeout(math.ceil(self.cell_limit), cell)  # raises CellTimeoutError
        finally:
            # Cancelled from outside too (nbclient's liveness poll, when the kernel dies).
            reply.cancel()
            watcher.cancel()

    async def _charged_limit_passed(self) -> None:
        while True:
            left = self.cell_limit - (self.clock.now() - self.cell_began)
            if left <= 0:
                return
            # Charged time runs no faster than the wall clock: sleeping `left` cannot overshoot.
            await asyncio.sleep(min(self.WATCH_S, left))

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


def read_labels(fh, n: int) -> tuple[dict, bytes | None]:
    """The header of the .npy document a predict process sent, and the bytes of exactly n
    labels if the header describes n labels. The notebook wrote it, so nothing in it is
    trusted: the header is parsed without building the array, and only n * itemsize bytes
    are read."""
    from numpy.lib import format as npy

    version = npy.read_magic(fh)
    if version == (1, 0):
        shape, _, dtype = npy.read_array_header_1_0(fh)
    elif version == (2, 0):
        shape, _, dtype = npy.read_array_header_2_0(fh)
    else:
        raise ValueError(f"unsupported .npy format version {version}")
    header = {"dtype": dtype.str, "dtype_name": str(dtype)[:100], "shape": [int(d) for d in shape][:64]}
    if tuple(shape) != (n,) or not _labels_like(dtype):
        return header, None  # the worker explains what is wrong from the header alone
    data = fh.read(n * dtype.itemsize + 1)
    if len(data) != n * dtype.itemsize:
        raise ValueError(f"it holds {len(data)} bytes of data where its header promises {n * dtype.itemsize}")
    return header, data


def _labels_like(dtype) -> bool:
    return dtype.kind in "biuf" and dtype.itemsize <= 8 and dtype.fields is None and dtype.subdtype is None


class Stopped(Exception):
    """The harness stopped asking (the cell ended or ran out of time)."""


class Asker(threading.Thread):
    """Asks the notebook's predict processes about the images, batch by batch.

    Phase by phase (the probe first, then the test set), it accepts one connection on
    its socket (from the child the prediction cell forked for that phase), sends it that
    phase's images in batches of at most batch_size, each answer awaited before the next
    batch goes, and then ends the phase: it says "done", and makes sure that process has
    exited (killing it if need be) before the next phase's first image is sent. So the
    probe is answered in full before any test image is in the sandbox, and no call of
    predict ever holds more than one batch.

    It records what went wrong in `failure` (the fields of the run's outcome, or a
    "predictions" header for an answer of the wrong shape or type) and the answers in
    `answers`; `complete` once every phase is answered.
    """

    WAIT_S = 0.5  # how often a blocked read or write looks whether it should stop
    LINGER_S = 10  # how long a phase's process may take to exit once told it is done
    LAST_WORD_S = 2  # how long the cell's end waits for the asking to read what was already sent

    def __init__(self, images_fd: int, phases: list[int], batch_size: int, sealed: bool = False,
                 writable: list[str] = ()):
        super().__init__(daemon=True)
        self.images_fd, self.phases, self.batch_size = images_fd, list(phases), max(1, int(batch_size))
        self.sealed, self.writable = sealed, list(writable)
        self.frozen: list[int] = []  # processes stopped while a phase is asked
        self.address = "\0grader-ask-" + os.urandom(16).hex()  # abstract: no file to plant or squat
        self.stopping = threading.Event()
        self.listener = None
        self.peer = None  # pidfd of the process answering the current phase
        self.peer_pid = None
        self.answers: list = []
        self.failure: dict | None = None
        self.complete = False

    def begin(self) -> None:
        """Listen, then ask in the background: called as the prediction cell starts, so the
        socket exists before the cell's children try it."""
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(self.address)
        self.listener.listen(4)
        self.listener.settimeout(self.WAIT_S)
        self.start()

    def finish(self) -> None:
        """Stop asking and end whatever predict process is still running."""
        if self.is_alive():
            # A predict process that failed at once (it could not seal, or predict raised)
            # has said why before the cell ended: let that be read before stopping.
            self.join(self.LAST_WORD_S)
        self.stopping.set()
        if self.is_alive():
            self.join(30)
        self._end_peer(wait_s=0)
        self._thaw()
        if self.listener is not None:
            self.listener.close()

    def run(self) -> None:
        try:
            pixels = self._read_images()
            offset = 0
            for count in self.phases:
                if not self._ask_phase(pixels[offset:offset + count * 784], count):
                    return
                offset += count * 784
            self.complete = True
        except Stopped:
            pass
        except Exception as exc:  # noqa: BLE001 -- reported as the harness's own failure
            self.failure = {"harness": f"asking predict failed: {type(exc).__name__}: {exc}"[:2000]}
        finally:
            # Nothing more will be asked: a later phase's process, connecting or waiting to
            # be accepted, is refused at once instead of waiting for the cell's time limit.
            self.listener.close()

    def _read_images(self):
        import numpy

        expected = sum(self.phases) * 784
        data = bytearray(expected)
        view, got = memoryview(data), 0
        with os.fdopen(self.images_fd, "rb", buffering=0) as pipe:  # read once, then closed
            while got < expected:
                step = pipe.readinto(view[got:])
                if not step:
                    raise ValueError(f"the worker sent {got} bytes of images where {expected} were due")
                got += step
        return numpy.frombuffer(data, dtype=numpy.uint8)

    def _ask_phase(self, pixels, count: int) -> bool:
        import numpy

        conn = self._accept()
        before, answered = None, False
        try:
            if self.sealed:
                self._freeze()
                before = isolation.state_of(self.writable)
                problem = self._check_sealed(conn)
                if problem:
                    self.failure = {"kind": "isolation", "detail": problem}
                    return False
            for start in range(0, count, self.batch_size):
                rows = min(self.batch_size, count - start)
                batch = pixels[start * 784:(start + rows) * 784].astype(numpy.float32) / numpy.float32(255)
                self._send(conn, struct.pack("<q", rows) + batch.tobytes())
                if not self._take_answer(conn, rows):
                    return False
            self._send(conn, struct.pack("<q", 0))
            answered = True
        except isolation.TooMany as exc:
            self.failure = {"kind": "isolation", "detail": str(exc)}
            return False
        except (EOFError, OSError):
            return False  # the process died or hung up without an answer: no failure of its own to tell
        finally:
            conn.close()
            if self.sealed:
                # The phase's process is gone before anything else runs again, and whatever it
                # left in the writable folders fails the run: nothing of one phase reaches the
                # next phase or the kernel.
                self._end_peer(wait_s=self.LINGER_S if answered else 0)
                if before is not None and self.failure is None:
                    try:
                        change = isolation.changed(before, isolation.state_of(self.writable))
                    except isolation.TooMany as exc:
                        change = str(exc)
                    if change:
                        self.failure = {"kind": "isolation", "detail": change}
                self._thaw()
        if not self.sealed:
            self._end_peer(wait_s=self.LINGER_S)
        return self.failure is None

    def _accept(self):
        while True:
            self._check()
            try:
                conn, _ = self.listener.accept()
            except socket.timeout:
                continue
            pid = struct.unpack("3i", conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12))[0]
            try:
                self.peer = os.pidfd_open(pid)
            except OSError:
                self.peer = None  # gone already: what it said before it went (why it could not seal) is still read
            self.peer_pid = pid
            conn.settimeout(self.WAIT_S)
            return conn

    def _freeze(self) -> None:
        """Stop every process of the sandbox but pid 1, this harness and the phase's own
        predict process, so that nothing can watch the phase (its /proc entries, its timing)
        or be written to while it runs."""
        self.frozen = isolation.stop_all(keep={1, os.getpid(), self.peer_pid})

    def _thaw(self) -> None:
        frozen, self.frozen = self.frozen, []
        isolation.resume(frozen)

    def _check_sealed(self, conn) -> str | None:
        """Wait for the phase's process to say it sealed itself, then look from outside that
        it did: one thread, one seccomp filter more than the kernel it was forked from, no
        descriptor but /dev/null and the harness's socket, no memory shared with another
        process. None if so, else what is wrong (the notebook may have changed the code
        that seals)."""
        said = self._receive(conn, 8)
        if said == b"UNSEALED":
            length, = struct.unpack("<q", self._receive(conn, 8))
            try:
                why = str(json.loads(self._receive(conn, min(max(length, 0), 4096)))["error"])[:500]
            except (ValueError, KeyError, TypeError):
                why = "no reason given"
            return f"the process asked about images could not be sealed ({why})"
        if said != b"SEALED!!":
            return "the process asked about images did not seal itself before it was asked"
        return isolation.seal_problem(self.peer_pid)

    def _take_answer(self, conn, rows: int) -> bool:
        import numpy

        length, = struct.unpack("<q", self._receive(conn, 8))
        cap = rows * 8 + 65536  # room for any header and labels of at most 8 bytes
        if length < 1:
            raise EOFError
        message = self._receive(conn, min(length, cap))
        if message[:1] == b"E":
            try:
                error = json.loads(message[1:])
                self.failure = {"kind": "exception", "ename": str(error["ename"])[:200],
                                "evalue": str(error["evalue"])[:2000]}
                lines = error.get("traceback")
                if isinstance(lines, list):
                    self.failure["traceback"] = [str(line)[:2000] for line in lines[-20:]]
            except (ValueError, KeyError, TypeError):
                self.failure = {"kind": "predictions_unreadable", "detail": "an error report that could not be read"}
            return False
        try:
            if message[:1] != b"L":
                raise ValueError("the answer is neither labels nor an error")
            header, data = read_labels(io.BytesIO(message[1:]), rows)
        except Exception as exc:  # noqa: BLE001 -- whatever the notebook sent (numpy raises several kinds)
            self.failure = {"kind": "predictions_unreadable", "detail": str(exc)[:300]}
            return False
        if data is None:
            self.failure = {"predictions": {**header, "asked": rows}}
            return False
        self.answers.append(numpy.frombuffer(data, dtype=numpy.dtype(header["dtype"])))
        return True

    def _send(self, conn, data: bytes) -> None:
        view = memoryview(data)
        while view:
            self._check()
            try:
                view = view[conn.send(view):]
            except socket.timeout:
                continue

    def _receive(self, conn, n: int) -> bytes:
        data = bytearray(n)
        view, got = memoryview(data), 0
        while got < n:
            self._check()
            try:
                step = conn.recv_into(view[got:])
            except socket.timeout:
                continue
            if not step:
                raise EOFError
            got += step
        return bytes(data)

    def _check(self) -> None:
        if self.stopping.is_set():
            raise Stopped

    def _end_peer(self, wait_s: float) -> None:
        """Wait up to wait_s for the phase's process to exit, then kill it; either way it
        is gone when this returns (a pidfd names that process, never a reused pid)."""
        pidfd, self.peer = self.peer, None
        if pidfd is None:
            return
        try:
            poller = select.poll()
            poller.register(pidfd, select.POLLIN)  # readable once the process has exited
            if not poller.poll(wait_s * 1000):
                signal.pidfd_send_signal(pidfd, signal.SIGKILL)
                poller.poll(5000)
        except OSError:
            pass
        finally:
            os.close(pidfd)

    def predictions(self) -> tuple[dict, bytes]:
        """Every answer, in the order asked, as one array's header and bytes."""
        import numpy

        labels = numpy.concatenate(self.answers) if self.answers else numpy.zeros(0, dtype=numpy.int64)
        return {"dtype": labels.dtype.str, "dtype_name": str(labels.dtype), "shape": [int(len(labels))]}, labels.tobytes()


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


def render_page(nb, budget_s: float, max_html_bytes: int, clock=time.monotonic) -> tuple[dict, bytes | None]:
    """The executed notebook as HTML, from a renderer process of its own, within budget_s
    in all. When a cell cannot be rendered, the first such cell is reported and the page
    is rendered again with that cell replaced by a notice, so the student still sees the
    rest of their notebook. The first attempt gets three quarters of the budget, so that a
    cell that takes forever still leaves time to render the others. The budget is kept
    in `clock`'s seconds: the harness's is charged time (charged.py), so time the renderer
    waited for a CPU the host held is not spent."""
    started = clock()
    deadline = started + budget_s
    first_failure = None
    for attempt in range(RENDER_ATTEMPTS):
        attempt_started = clock()
        until = started + RENDER_FIRST_SHARE * budget_s if attempt == 0 else deadline
        outcome, html = _render_once(compact(nb), until, max_html_bytes, clock)
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
    return {**result, "seconds": clock() - started, "partial": first_failure is not None and html is not None}, html


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


def _render_once(notebook: bytes, deadline: float, max_html_bytes: int,
                 clock=time.monotonic) -> tuple[dict, bytes | None]:
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
                remaining = deadline - clock()  # charged time runs no faster than the wall clock
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


def progress_reporter(progress_fd: int, student_cells: int, asker: Asker):
    def report(cell, cell_index, **kwargs):
        tell_progress(progress_fd, str(cell_index) if cell_index < student_cells else "predict")
        if cell_index >= student_cells and not asker.is_alive() and asker.listener is None:
            asker.begin()  # the notebook has run: only now are images read and asked about
    return report


def tell_progress(progress_fd: int, step: str) -> None:
    try:
        os.write(progress_fd, f"{step}\n".encode())
    except OSError:
        pass  # the worker stopped listening: it is stopping the job anyway


def run(input_dir: Path, config: dict, progress_fd: int, images_fd: int) -> tuple[dict, dict[str, bytes]]:
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
    nb.cells.append(nbformat.v4.new_code_cell(
        BEFORE_FORK + PREDICT_CELL.replace("ADDRESS, PHASES", f"{asker.address!r}, {len(config['phases'])}")
        .replace("DECLARED_PATH", repr(str(declared_path)))
        .replace("SEAL_FILTER", repr(config.get("seal_filter")))))
    cap = config["stored_output_kb"] * 1024
    client = CappedClient(
        nb,
        timeout=config["cell_timeout_s"],
        clock=clock,
        total_s=config["total_timeout_s"],
        wall_deadline=wall_deadline,
        kernel_name="python3",
        resources={"metadata": {"path": config["workdir"]}},
        allow_errors=False,
        record_timing=False,  # per-cell timestamps would be output the cap does not see
        # No student code runs while the kernel starts: only the backstop bounds it, so a
        # starved start is the host's (an exception here is the harness's, retried).
        startup_timeout=max(120, math.ceil(wall_deadline - time.monotonic())),
        output_budget=cap,
        on_cell_execute=progress_reporter(progress_fd, student_cells, asker),
    )
    outcome = {"status": "ok"}
    try:
        client.execute()
    except CellTimeoutError as exc:
        if client.charged_stop:
            kind = "total_timeout" if client.stopped_by_total else "cell_timeout"
            outcome = {"status": "failed", "kind": kind, "detail": str(exc).splitlines()[0][:500]}
        else:
            # The wall-clock backstop with the cell under its charged limit: the host
            # starved the job. Not the student's: the worker requeues the run.
            outcome = {"status": "host_busy", "detail": str(exc).splitlines()[0][:500]}
    except DeadKernelError as exc:
        outcome = {"status": "failed", "kind": "dead_kernel", "detail": str(exc)[:500]}
    except CellExecutionError as exc:
        outcome = {"status": "failed", "kind": "exception", "ename": exc.ename, "evalue": str(exc.evalue)[:2000]}
    except MemoryError:
        outcome = {"status": "failed", "kind": "harness_memory"}
    except Exception as exc:
        if client.current_cell is None and time.monotonic() >= wall_deadline - 1:
            # The kernel had not started by the backstop: no student code had run, so the
            # host starved it.
            outcome = {"status": "host_busy", "detail": f"the kernel did not start: {str(exc)[:300]}"}
        elif client.current_cell is None:
            raise  # before any cell ran (the kernel would not start): ours
        else:
            # While a cell ran, the kernel (which holds the message key, and so can send any
            # bytes it likes) sent something the Jupyter client could not read.
            traceback.print_exc()  # into the sandbox log, for the TA
            outcome = {"status": "failed", "kind": "kernel_message",
                       "detail": f"{type(exc).__name__}: {str(exc)[:300]}"}
    asker.finish()
    predictions = None
    if outcome["status"] == "ok":
        outcome, predictions = _asked(asker, outcome)
    outcome["seconds"] = time.monotonic() - started
    outcome["charged_seconds"], outcome["starved_seconds"] = clock.now(), clock.starved
    outcome["peak_memory_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    cell = client.current_cell if outcome["status"] == "failed" else None
    outcome["cell"] = cell
    outcome["in_harness"] = cell is not None and cell >= student_cells
    # The failing cell's error, for the page that explains the failure: the prediction
    # cell (and its output) is about to go, and a student cell's may be cut for space. An
    # error of predict's comes from the process that answered, not from the cell.
    raised = None
    if "traceback" in outcome:
        raised = {"ename": outcome.get("ename", ""), "evalue": outcome.get("evalue", ""),
                  "traceback": outcome.pop("traceback")}
    elif cell is not None and client.first_error is not None and client.first_error[0] == cell:
        raised = client.first_error[1]
    if raised is not None:
        error = trim_error(raised, ERROR_IN_RESULT_CHARS)
        outcome["error"] = {"ename": error.ename, "evalue": error.evalue, "traceback": list(error.traceback)}
    nb.cells.pop()  # the prediction cell is ours, not the student's
    outcome.update(bound_outputs(nb, upload_bytes + cap, config["stored_output_kb"], cell, client.first_error,
                                 client.truncated_cells))
    outcome["widget_state_dropped"] = outcome["widget_state_dropped"] or client.widget_state_cut
    header, blobs = {"result": outcome}, {}
    if predictions is not None:
        header["predictions"], data = predictions
        if data is not None:
            blobs["predictions"] = data
    if outcome["status"] == "ok":
        outcome["declared"] = read_declared(declared_path)
    blobs["notebook"] = compact(nb)
    if outcome["status"] == "host_busy":
        return header, blobs  # the run is done again: no page to show for this one
    tell_progress(progress_fd, "render")
    outcome["render"], html = render_page(nb, config["render_timeout_s"], config["rendered_html_kb"] * 1024,
                                          clock=clock.now)
    if html is not None:
        blobs["html"] = html
    return header, blobs


def _asked(asker: Asker, outcome: dict) -> tuple[dict, tuple[dict, bytes | None] | None]:
    """The run's outcome and the predictions header and bytes, once the prediction cell
    ran to its end: what the predict processes answered, or why they did not."""
    failure = asker.failure or {}
    if "harness" in failure:
        raise RuntimeError(failure["harness"])  # ours, not the notebook's
    if "predictions" in failure:
        return outcome, (failure["predictions"], None)  # the worker explains what is wrong with them
    if failure:
        return {**outcome, "status": "failed", **failure}, None
    if not asker.complete:
        return {**outcome, "status": "failed", "kind": "dead_kernel",
                "detail": "a process asked about images ended before it answered"}, None
    return outcome, asker.predictions()


def main() -> int:
    input_dir, result_fd, progress_fd, images_fd = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    for fd in (result_fd, progress_fd, images_fd):
        os.set_inheritable(fd, False)  # the kernel and the renderer, started below, must not get them
    refuse_inspection()
    config = json.loads((input_dir / "config.json").read_text())
    for var in ("HOME", "MPLCONFIGDIR", "JUPYTER_RUNTIME_DIR", "JUPYTER_DATA_DIR", "IPYTHONDIR"):
        if var in os.environ:
            Path(os.environ[var]).mkdir(parents=True, exist_ok=True)
    return send_result(result_fd, lambda: run(input_dir, config, progress_fd, images_fd))


def send_result(result_fd: int, build) -> int:
    """Send what build() returns, (header, blobs), as the run's one payload; if it raises,
    the harness's own fault (the worker decides whose it is)."""
    try:
        payload = encode(*build())
    except Exception:  # noqa: BLE001 -- a harness fault: reported as such
        payload = encode({"result": {"status": "harness_error", "detail": traceback.format_exc()[-4000:]}}, {})
    with os.fdopen(result_fd, "wb") as out:
        out.write(payload)
    return 0


if __name__ == "__main__":
    sys.exit(main())
