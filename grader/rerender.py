"""A graded run's page drawn again, later, from the executed notebook the run stored.

A page that could not be drawn within the run's budget (a busy host, Markdown that
nbconvert renders in quadratic time, a cell it cannot show) does not fail the grade: the
site keeps the executed notebook (compact JSON, outputs already capped) and asks for this
later with a more generous budget (`rerender_timeout_s`). The page is drawn by the same
renderer (harness/render_notebook.py, through rendering.render_page: the same retries
with the cell at fault replaced by a notice) in the same sandbox, under the job's limits
and memory watchdog, from a harness of its own (harness/render_again.py) that runs no
notebook and asks predict nothing.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from .errors import SystemFault
from .failures import render_problem
from .harness import protocol
from .limits import Limits
from .runner import HARNESS_GRACE_S, RunOutcome, prepare_inputs, run_harness

SCRIPT = "render_again.py"
# Problems another try cannot mend: the renderer refused a cell, or the page is larger
# than the limit. A timeout or a renderer that died may go another way on a quieter host.
LASTING_PROBLEMS = (protocol.RENDER_ERROR, protocol.RENDER_TOO_LARGE)


@dataclass
class Page:
    html: bytes | None  # whole, or with the cells at fault replaced by a notice; None if nothing could be drawn
    render: dict  # the renderer's account: problem (None when whole), cell, detail, allowed_s, partial, seconds
    problem: str  # why the page is missing or partial, in the words a graded run uses; "" when whole
    log_tail: str = ""

    @property
    def whole(self) -> bool:
        return self.html is not None and not self.render.get("problem")

    @property
    def lasting(self) -> bool:
        """Whether trying again could not do better."""
        return self.render.get("problem") in LASTING_PROBLEMS


def page_problem(render: dict | None, limits: Limits) -> str:
    """Why a run's page is missing or partial ("" if it is whole), naming the cell."""
    render = render if isinstance(render, dict) else {}
    return render_problem(render, limits) if render.get("problem") else ""


def render_again(notebook_json: str, job_dir: Path, limits: Limits) -> Page:
    """Draw the page of an executed notebook in the sandbox within `limits.rerender_timeout_s`.

    What the notebook's content does to the renderer (too slow, too large, a cell it
    cannot show, a renderer that dies or needs too much memory) is in the Page; a harness
    that fails or answers nothing usable is ours, and raises SystemFault."""
    budget = limits.rerender_timeout_s
    limits = replace(limits, render_timeout_s=budget)
    input_dir = prepare_inputs(job_dir, notebook_json.encode(), [], limits, 1, executed=True)
    # The renderer keeps the budget itself; the worker's kill is the backstop, with room
    # for a budget counted in CPU seconds on a busy host.
    run = run_harness(job_dir, input_dir, limits, script=SCRIPT, wall_s=2 * budget + HARNESS_GRACE_S)
    render = _render_of(run, limits)
    html = run.html if not run.memory_exceeded and not run.timed_out else None
    return Page(html=html, render=render, problem=page_problem(render, limits),
                log_tail=run.log_tail + (f"\n[grader] {run.payload_error}\n" if run.payload_error else ""))


def _render_of(run: RunOutcome, limits: Limits) -> dict:
    if run.memory_exceeded:
        return {"problem": protocol.RENDER_CRASHED, "cell": None,
                "detail": f"it needed more than {limits.memory_mb} MB of memory"}
    if run.timed_out:
        return {"problem": protocol.RENDER_TIMEOUT, "cell": None, "allowed_s": limits.render_timeout_s}
    status = run.result.get("status")
    render = run.result.get("render")
    if status == protocol.OK and isinstance(render, dict) and (render.get("problem") or run.html is not None):
        return render
    detail = run.result.get("detail") if status == protocol.HARNESS_ERROR else run.payload_error or f"status {status!r}"
    raise SystemFault(f"drawing the page again failed: {str(detail)[-1500:]}")
