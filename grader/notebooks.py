"""Checking an uploaded notebook before it is stored or queued.

Cheap checks come first, on the bytes, so that no hostile file reaches a costly step:
size, UTF-8, then one linear scan for nesting depth (before json.loads builds anything:
a deeply nested file made json.loads raise RecursionError), then cell, output and JSON
value counts, which bound the work of everything after. nbformat's schema check, which took
3.5 s on a notebook of 100,000 cells, runs last, in a confined child (grader/confined.py).
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass

from . import confined

CLEAR_OUTPUTS = "Clear the outputs (Kernel > Restart & Clear Output) and upload again."


class InvalidNotebook(ValueError):
    """The upload is not a notebook we can run; the message is shown to the student."""


@dataclass(frozen=True)
class NotebookLimits:
    """Defaults for callers without settings (tests, scripts); the site passes its settings."""

    max_depth: int = 64
    max_cells: int = 2_000
    max_outputs: int = 10_000
    max_json_values: int = 500_000
    check: confined.Limits = confined.Limits(wall_seconds=5.0, cpu_seconds=4, memory_bytes=1024 * 1024 * 1024)

    @classmethod
    def from_settings(cls) -> "NotebookLimits":
        from django.conf import settings

        return cls(max_depth=settings.NOTEBOOK_MAX_DEPTH, max_cells=settings.NOTEBOOK_MAX_CELLS,
                   max_outputs=settings.NOTEBOOK_MAX_OUTPUTS, max_json_values=settings.NOTEBOOK_MAX_JSON_VALUES,
                   check=confined.Limits(wall_seconds=settings.NOTEBOOK_CHECK_WALL_SECONDS,
                                         cpu_seconds=settings.NOTEBOOK_CHECK_CPU_SECONDS,
                                         memory_bytes=settings.NOTEBOOK_CHECK_MEMORY_MB * 1024 * 1024))


# The longest prefix made of whole JSON strings and runs of other bytes. Possessive
# quantifiers: one pass, no backtracking, so an unterminated string costs one scan
# (a plain regex would rescan from every later quote).
_IN_STEP = re.compile(rb'(?:[^"]++|"[^"\\]*+(?:\\.[^"\\]*+)*+")*+')
_STRING = re.compile(rb'"[^"\\]*+(?:\\.[^"\\]*+)*+"')
_NOT_STRUCTURE = bytes(sorted(set(range(256)) - set(b"[]{},")))


def json_shape(data: bytes) -> tuple[int, int]:
    """(deepest nesting of arrays and objects, number of values) of JSON text, without
    parsing it; brackets and commas inside strings do not count. Linear in len(data).
    The count is 1 + commas + containers: exact, except that an empty [] or {} counts twice.

    Where the text stops being well-formed (an unterminated string) the scan stops too:
    json.loads will report the error there, having built no more than was scanned."""
    import numpy as np  # here, not at the top: the confined fork server preloads this module without numpy's threads

    end = _IN_STEP.match(data).end()
    structure = _STRING.sub(b"", data[:end]).translate(None, _NOT_STRUCTURE)
    codes = np.frombuffer(structure, np.uint8)
    steps = np.zeros(len(codes), np.int32)
    steps[(codes == ord("[")) | (codes == ord("{"))] = 1
    steps[(codes == ord("]")) | (codes == ord("}"))] = -1
    depth = int(np.cumsum(steps).max()) if len(steps) else 0
    values = 1 + int((steps == 1).sum()) + int((codes == ord(",")).sum())
    return depth, values


def validate_notebook_bytes(data: bytes, max_bytes: int, limits: NotebookLimits = NotebookLimits()) -> dict:
    """Return the notebook's JSON (a dict), or raise InvalidNotebook saying exactly what is wrong."""
    if len(data) > max_bytes:
        raise InvalidNotebook(f"The file is {len(data) / 1e6:.1f} MB; notebooks may be at most {max_bytes / 1e6:.1f} MB. "
                              + CLEAR_OUTPUTS)
    if not data.strip():
        raise InvalidNotebook("The file is empty.")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidNotebook(f"The file is not UTF-8 text (byte {exc.start}); a .ipynb file is JSON.") from None
    depth, values = json_shape(data)
    if depth > limits.max_depth:
        raise InvalidNotebook(
            f"The file's JSON is nested {depth:,} levels deep; at most {limits.max_depth} can be read (Jupyter's "
            "own structure is 7 deep). Save the notebook again from Jupyter and upload that file.")
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidNotebook(f"The file is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}).") from None
    if not isinstance(raw, dict) or "cells" not in raw or "nbformat" not in raw:
        raise InvalidNotebook("The file is JSON but not a Jupyter notebook (it has no 'cells' or 'nbformat').")
    major = raw.get("nbformat")
    if not isinstance(major, int) or major < 4:
        raise InvalidNotebook(
            f"The notebook uses nbformat {major!r}; version 4 is required. "
            "Open and save it in a current Jupyter to upgrade it."
        )
    cells = raw["cells"] if isinstance(raw["cells"], list) else []
    if len(cells) > limits.max_cells:
        raise InvalidNotebook(
            f"The notebook has {len(cells):,} cells; at most {limits.max_cells:,} can be graded. "
            "Remove the cells the model does not need (or merge small ones) and upload again.")
    outputs = sum(len(c["outputs"]) for c in cells if isinstance(c, dict) and isinstance(c.get("outputs"), list))
    if outputs > limits.max_outputs:
        raise InvalidNotebook(f"The notebook has {outputs:,} outputs; at most {limits.max_outputs:,} can be checked. "
                              + CLEAR_OUTPUTS)
    if values > limits.max_json_values:
        raise InvalidNotebook(
            f"The file holds {values:,} JSON values; at most {limits.max_json_values:,} can be checked (a notebook "
            f"with hundreds of cells and their outputs has tens of thousands). {CLEAR_OUTPUTS}")
    try:
        confined.run("grader.notebooks:check_schema", data, limits.check)
    except confined.Refused as exc:
        raise InvalidNotebook(str(exc)) from None
    except confined.LimitExceeded as exc:
        if exc.kind == exc.CRASH:
            raise InvalidNotebook("The notebook could not be checked against the notebook format (the checker stopped "
                                  "on it). Save it again from Jupyter and upload that file.") from None
        raise InvalidNotebook(
            f"The notebook took too much {'memory' if exc.kind == exc.MEMORY else 'time'} to check against the "
            f"notebook format (it has {values:,} JSON values). {CLEAR_OUTPUTS}") from None
    return raw


def check_schema(data: bytes) -> None:
    """In the confined child: nbformat's schema, then what grading needs (code, Python)."""
    import nbformat
    from nbformat.reader import NotJSONError

    try:
        # reader.reads, not nbformat.reads: that one validates too, doubling the cost.
        nb = nbformat.reader.reads(data.decode("utf-8"))
        nbformat.validate(nb)
    except nbformat.ValidationError as exc:
        raise confined.Refused(f"The notebook does not follow the nbformat 4 schema: {exc.message}") from None
    except (nbformat.NBFormatError, NotJSONError) as exc:
        raise confined.Refused(f"The notebook could not be read as nbformat 4: {exc}") from None
    if not any(cell.cell_type == "code" and cell.source.strip() for cell in nb.cells):
        raise confined.Refused("The notebook has no code cells to run.")
    kernelspec, language_info = nb.metadata.get("kernelspec"), nb.metadata.get("language_info")
    language = (kernelspec.get("language") if isinstance(kernelspec, dict) else None) or (
        language_info.get("name") if isinstance(language_info, dict) else None)
    if isinstance(language, str) and language and language.lower() != "python":
        raise confined.Refused(f"The notebook's kernel is {language!r}; only Python notebooks can be graded.")


CELL_ID = re.compile(r"[a-zA-Z0-9_-]{1,64}")


def run_copy(data: bytes) -> bytes:
    """The notebook as the sandbox gets it: each cell's type and source, nothing else.

    Outputs, attachments, execution counts and metadata (the notebook's and each cell's)
    are left out: the grader runs the notebook afresh, so a saved output is never what is
    graded, and anything kept would be data the notebook could read back while it runs
    (a table of test labels hidden in a saved PNG output was read that way). The uploaded
    file itself never enters the sandbox, and the embedded-data check measures this copy:
    what the run can see, not what the student's machine printed. Cells keep their order
    and number, so findings and failures name the cells of the upload."""
    nb = json.loads(data)
    cells = []
    for index, cell in enumerate(nb.get("cells") or []):
        kind = cell.get("cell_type") if isinstance(cell, dict) else None
        if kind not in ("code", "markdown", "raw"):
            kind = "raw"
        source = cell.get("source", "") if isinstance(cell, dict) else ""
        source = "".join(s for s in source if isinstance(s, str)) if isinstance(source, list) else source
        ident = cell.get("id") if isinstance(cell, dict) else None
        copy = {"cell_type": kind, "id": ident if isinstance(ident, str) and CELL_ID.fullmatch(ident) else f"cell-{index}",
                "metadata": {}, "source": source if isinstance(source, str) else ""}
        if kind == "code":
            copy.update(outputs=[], execution_count=None)
        cells.append(copy)
    metadata = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
                "language_info": {"name": "python"}}
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": metadata, "cells": cells},
                      ensure_ascii=False).encode()
