"""A failed run told so that the student can fix it: the failing cell and its source, the
traceback's last frames (the student's own code marked), and, for the mistakes students
make most, the mistake named with its fix.

Everything here reads what the sandbox sent back (the harness's account and the executed
notebook), which the notebook could shape: it only ever becomes text on a page, escaped.
"""
from __future__ import annotations

import json
import re

from . import failures
from .limits import Limits

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
CELL_FRAME = re.compile(r"^Cell In\[(?P<count>\d+)\], line (?P<line>\d+)(?:, in (?P<function>.+))?$")
FILE_FRAME = re.compile(r"^File (?P<file>.+?):(?P<line>\d+)(?:, in (?P<function>.+))?$")
CODE_LINE = re.compile(r"^(?P<arrow>-*>)?\s*(?P<number>\d+)(?: (?P<code>.*))?$")
FRAMES_SHOWN = 3
SOURCE_LINES_SHOWN = 40
DEF_PREDICT = re.compile(r"^\s*def\s+predict\s*\(")


def explain(result: dict, notebook: str | None, mistake: str | None, limits: Limits,
            wall_seconds: float | None = None, peak_memory_mb: float | None = None) -> dict:
    """{"cell", "function", "source", "line", "error", "frames", "mistake"} for the page, each part
    only when the run tells it."""
    cells = _cells(notebook)
    error = result.get("error") if isinstance(result.get("error"), dict) else {}
    ename, evalue = str(error.get("ename") or result.get("ename") or "")[:200], str(error.get("evalue") or "")[:2000]
    frames = _frames(error.get("traceback"), cells)
    failure: dict = {"error": f"{ename}: {evalue}".strip(": ") if ename else ""}
    own = [f for f in frames if f["own"]]
    if own:  # where the error arose in the student's own code, even in our prediction step
        failure.update(cell=own[-1]["cell"], line=own[-1]["line"], function=own[-1]["function"])
    elif type(result.get("cell")) is int and 0 <= result["cell"] < len(cells):
        failure["cell"] = result["cell"] + 1
    named = (failures.MISTAKES.get(mistake) if mistake
             else failures.mistake_raised(ename, evalue or str(result.get("evalue") or "")[:2000],
                                          result.get("in_harness") is True))
    if not failure.get("cell") and named and named.about_predict:
        # Nothing raised: what predict returned was wrong, so show where predict is written.
        failure.update(_where_predict_is(cells))
    if failure.get("cell"):
        failure["source"] = _source(cells[failure["cell"] - 1], failure.get("line"))
    failure["frames"] = frames[-FRAMES_SHOWN:]
    failure["frames_hidden"] = max(0, len(frames) - FRAMES_SHOWN)
    if named:
        function = (failure.get("function") or "predict").split("(")[0]
        failure["mistake"] = {"key": named.key, "name": named.name,
                              "fix": failures.fix(named, limits, function, peak_memory_mb, wall_seconds,
                                                  torch=_uses_torch(cells))}
    return failure


def _uses_torch(cells: list[dict]) -> bool:
    return any(cell.get("cell_type") == "code" and re.search(r"^\s*(import|from) torch\b", _text(cell.get("source")),
                                                                re.MULTILINE) for cell in cells)


def _where_predict_is(cells: list[dict]) -> dict:
    """The last code cell that defines predict (the one in force when the grader called it)."""
    for index in range(len(cells) - 1, -1, -1):
        if cells[index].get("cell_type") != "code":
            continue
        for number, line in enumerate(_text(cells[index].get("source")).splitlines(), start=1):
            if DEF_PREDICT.match(line):
                return {"cell": index + 1, "line": number, "function": "predict(images)"}
    return {}


def _cells(notebook: str | None) -> list[dict]:
    try:
        cells = json.loads(notebook)["cells"] if notebook else []
    except (ValueError, KeyError, TypeError):
        return []
    return [c if isinstance(c, dict) else {} for c in cells] if isinstance(cells, list) else []


def _text(value) -> str:
    return "".join(str(v) for v in value) if isinstance(value, list) else str(value or "")


def _frames(traceback, cells: list[dict]) -> list[dict]:
    """The traceback's frames, outermost first, without the grader's own prediction step."""
    if not isinstance(traceback, list):
        return []
    by_count = {c.get("execution_count"): i for i, c in enumerate(cells)
                if type(c.get("execution_count")) is int and c.get("cell_type") == "code"}
    frames = []
    for entry in traceback[:200]:
        lines = ANSI.sub("", str(entry)[:20000]).splitlines()
        if not lines:
            continue
        head = lines[0].strip()
        if match := CELL_FRAME.match(head):
            index = by_count.get(int(match["count"]))
            if index is None:
                continue  # a cell that is not the student's: the grader's prediction step
            frame = {"own": True, "cell": index + 1, "where": f"cell {index + 1}, line {match['line']}"}
        elif match := FILE_FRAME.match(head):
            frame = {"own": False, "cell": None, "where": f"{_short_path(match['file'])}, line {match['line']}"}
        else:
            continue
        frame.update(line=int(match["line"]), function=(match["function"] or "").strip()[:200],
                     code=[_code_line(line) for line in lines[1:] if CODE_LINE.match(line.strip())][-6:])
        frames.append(frame)
    return frames


def _code_line(line: str) -> dict:
    match = CODE_LINE.match(line.strip())
    return {"number": int(match["number"]), "code": (match["code"] or "")[:300], "current": bool(match["arrow"])}


def _short_path(path: str) -> str:
    """A library file by its package, not by where the sandbox keeps it."""
    parts = path.replace("\\", "/").split("/")
    if "site-packages" in parts:
        parts = parts[parts.index("site-packages") + 1:]
    return "/".join(parts[-3:])[:200]


def _source(cell: dict, line: int | None) -> dict:
    """The cell's code as numbered lines, around the failing line when there is one."""
    lines = _text(cell.get("source")).splitlines() or [""]
    start = 0
    if line and len(lines) > SOURCE_LINES_SHOWN:
        start = max(0, min(line - 1 - SOURCE_LINES_SHOWN // 2, len(lines) - SOURCE_LINES_SHOWN))
    shown = lines[start:start + SOURCE_LINES_SHOWN]
    return {"lines": [{"number": start + k + 1, "code": text[:300], "current": start + k + 1 == line}
                      for k, text in enumerate(shown)],
            "cut_before": start, "cut_after": max(0, len(lines) - start - len(shown))}
