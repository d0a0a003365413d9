"""Cutting the executed notebook to its budget (bound_outputs) and a traceback to its
allowance (trim_error), so that what is sent back is bounded and a failure still explains
itself. Runs inside the sandbox, in the harness."""
import json

import nbformat

ERROR_KEEP_CHARS = 8000  # of the failing cell's traceback, kept whatever the output budget
ERROR_IN_RESULT_CHARS = 6000  # of the same traceback, sent in the result's header
NOTICE_RESERVE = 400  # bytes kept back so that the first cut is explained in the notebook
MAX_LISTED_CELLS = 200


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


def failing_error(outcome: dict, cell: int | None, first_error) -> dict | None:
    """The failing cell's error for the result's header, trimmed: predict's (it comes from
    the process that answered, not from the cell), else the one the cell showed."""
    raised = None
    if "traceback" in outcome:
        raised = {"ename": outcome.get("ename", ""), "evalue": outcome.get("evalue", ""),
                  "traceback": outcome.pop("traceback")}
    elif cell is not None and first_error is not None and first_error[0] == cell:
        raised = first_error[1]
    if raised is None:
        return None
    error = trim_error(raised, ERROR_IN_RESULT_CHARS)
    return {"ename": error.ename, "evalue": error.evalue, "traceback": list(error.traceback)}
