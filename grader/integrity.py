"""Flags a person should look at, beyond the noise probe: accuracy no honest network of the
course's kind reaches, and a notebook that carries enough embedded data to hold the test
labels (grader.embedded). The site passes each assignment's own bar
(coursework.services.integrity); `manage.py grade_notebook` passes the site's defaults.
"""
from __future__ import annotations

from . import embedded, notebooks
from .result import GradeResult, with_flags

PROBE, ACCURACY, EMBEDDED = "probe", "accuracy", "embedded"
# The most embedded data of the course's own notebooks (the template's, as run:
# benchmarks/embedded_data.py), for saying how far outside honest work a flagged one lies.
HONEST_EMBEDDED_BYTES = 1163


def scan_upload(notebook_bytes: bytes) -> dict:
    """The embedded-data scan of what a run of this upload can read (not its saved outputs):
    grader.embedded.find, in a confined child. It needs nothing from the run, so the worker
    starts it beside the run and the score does not wait for it."""
    return embedded.find(notebooks.run_copy(notebook_bytes))


def screen(result: GradeResult, notebook_bytes: bytes, accuracy_above: float, embedded_limit: int,
           scan: dict | None = None) -> GradeResult:
    """The result with these flags added to the grader's own (only a graded run is screened).
    `feedback.flags` names every flag raised; `flag_reason` has a line for each. `scan`:
    scan_upload's answer for these bytes, if it was taken already."""
    if result.status != "graded":
        return result
    kinds, reasons = ([PROBE], [result.flag_reason]) if result.flagged else ([], [])
    if result.accuracy is not None and result.accuracy > accuracy_above:
        kinds.append(ACCURACY)
        reasons.append(f"Implausible accuracy: {result.accuracy:.2%} on the test set, above the {accuracy_above:.2%} "
                       "a network of the kind this task asks for reaches. Look in the code for test labels or a lookup.")
    if scan is None:
        scan = scan_upload(notebook_bytes)
    if scan["bytes"] is None:
        kinds.append(EMBEDDED)
        reasons.append(f"Embedded data: {scan['problem']}.")
    elif scan["bytes"] > embedded_limit:
        kinds.append(EMBEDDED)
        top = scan["findings"][0]
        reasons.append(f"Embedded data: the notebook carries {scan['bytes']:,} bytes (compressed) of literals and "
                       f"data-like text, more than the {embedded_limit:,} allowed and "
                       f"{scan['bytes'] / HONEST_EMBEDDED_BYTES:.1f} times the most the course's own notebooks carry "
                       f"({HONEST_EMBEDDED_BYTES:,}, the template; the test labels take about 4,500); the largest is a "
                       f"{top['kind']} of {top['chars']:,} characters in {place(top)}. Its code is shown below with the "
                       "data marked.")
    return with_flags(result, kinds, "\n".join(reasons), embedded=scan)


def place(finding: dict) -> str:
    cell = finding.get("cell")
    where = finding.get("where", "")
    line = f", line {finding['line']}" if finding.get("line") else ""
    return f"cell {cell + 1} ({where}{line})" if cell is not None else where
