"""Turning the executed notebook into a page in a renderer process of its own
(render_notebook.py), supervised under a time and size budget. Runs inside the sandbox,
in the harness (and in render_again.py, which draws a page again later)."""
import json
import os
import selectors
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import nbformat

import protocol
from render_notebook import STATE, STATE_BYTES
from trimming import compact

HERE = Path(__file__).resolve().parent
RENDER_ATTEMPTS = 4
RENDER_FIRST_SHARE = 0.75


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
        if outcome["problem"] == protocol.RENDER_TIMEOUT:
            outcome["allowed_s"] = round(until - attempt_started, 1)
        first_failure = first_failure or outcome
        cell = outcome.get("cell")
        if cell is None or not 0 <= cell < len(nb.cells) or outcome["problem"] == protocol.RENDER_CRASHED:
            break
        nb = _without_cell_content(nb, cell, outcome)
    result = first_failure or {"problem": None}
    return {**result, "seconds": clock() - started, "partial": first_failure is not None and html is not None}, html


def _without_cell_content(nb, index: int, outcome: dict):
    nb = nbformat.from_dict(json.loads(compact(nb)))
    cell = nb.cells[index]
    why = {protocol.RENDER_TIMEOUT: "showing it took too long",
           protocol.RENDER_TOO_LARGE: "it is too large"}.get(outcome["problem"])
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
        return {"problem": protocol.RENDER_TIMEOUT, "cell": cell}, None
    if too_large:
        return {"problem": protocol.RENDER_TOO_LARGE, "cell": cell}, None
    try:
        report = json.loads(state[STATE.size:STATE.size + length]) if 0 < length <= STATE_BYTES else None
    except ValueError:
        report = None
    if not isinstance(report, dict):
        return {"problem": protocol.RENDER_CRASHED, "cell": cell, "detail": f"exit status {proc.returncode}"}, None
    if report.get("problem") is None:
        return {"problem": None}, bytes(html)
    return report, None


def _feed(pipe, data: bytes) -> None:
    try:
        pipe.write(data)
        pipe.close()
    except (BrokenPipeError, OSError):
        pass  # the renderer died or was killed; its exit says why
