"""Executing the notebook under its limits with its outputs capped (CappedClient), and how the
execution ended, as the protocol's outcome (execute). Runs inside the sandbox, in the harness."""
import asyncio
import math
import sys
import time
import traceback

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import (
    CellControlSignal,
    CellExecutionError,
    CellTimeoutError,
    DeadKernelError,
)

import protocol
from charged import ChargedClock
from trimming import trim_error

OUTPUT_KINDS = ("stream", "display_data", "execute_result", "error", "update_display_data")
MAX_OUTPUT_DEPTH = 100  # JSON nesting of one output or widget message; real ones are a few levels deep
TOO_DEEP = sys.maxsize  # what _size says of content nested deeper: more than any budget


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

    def shut_down(self) -> None:
        """End the kernel the way nbclient's execute() would have (safe twice, and when it
        never started)."""
        if self.km is not None:
            self._cleanup_kernel()

    def kernel_peak_mb(self) -> float | None:
        """The most memory the kernel, still up, has held so far (its VmHWM), or None."""
        pid = getattr(getattr(self.km, "provisioner", None), "pid", None)
        try:
            with open(f"/proc/{int(pid)}/status") as status:
                for line in status:
                    if line.startswith("VmHWM:"):
                        return int(line.split()[1]) / 1024
        except (OSError, TypeError, ValueError):
            pass
        return None

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


def execute(client: CappedClient, wall_deadline: float) -> dict:
    """Run every cell; the run's outcome so far (protocol.OK, or why it stopped). The kernel
    is left up (nbclient would shut it down, gracefully, before returning): the harness sends
    the result first, then ends it with client.shut_down()."""
    try:
        client.execute(cleanup_kc=False)
    except CellTimeoutError as exc:
        if client.charged_stop:
            kind = protocol.TOTAL_TIMEOUT if client.stopped_by_total else protocol.CELL_TIMEOUT
            return protocol.failed(kind, detail=str(exc).splitlines()[0][:500])
        # The wall-clock backstop with the cell under its charged limit: the host
        # starved the job. Not the student's: the worker requeues the run.
        return protocol.host_busy(str(exc).splitlines()[0][:500])
    except DeadKernelError as exc:
        return protocol.failed(protocol.DEAD_KERNEL, detail=str(exc)[:500])
    except CellExecutionError as exc:
        return protocol.failed(protocol.EXCEPTION, ename=exc.ename, evalue=str(exc.evalue)[:2000])
    except MemoryError:
        return protocol.failed(protocol.HARNESS_MEMORY)
    except Exception as exc:
        if client.current_cell is None and time.monotonic() >= wall_deadline - 1:
            # The kernel had not started by the backstop: no student code had run, so the
            # host starved it.
            return protocol.host_busy(f"the kernel did not start: {str(exc)[:300]}")
        if client.current_cell is None:
            raise  # before any cell ran (the kernel would not start): ours
        # While a cell ran, the kernel (which holds the message key, and so can send any
        # bytes it likes) sent something the Jupyter client could not read.
        traceback.print_exc()  # into the sandbox log, for the TA
        return protocol.failed(protocol.KERNEL_MESSAGE, detail=f"{type(exc).__name__}: {str(exc)[:300]}")
    return {"status": protocol.OK}
