"""Data carried inside a notebook: the way a score can come from a table instead of a network.

The MNIST test labels are public, so a notebook can bring them along: a string of
10,000 digits, a list of numbers, base64 in a comment, in the notebook's or a cell's
metadata, in an attachment, or in an output the kernel can read back from the uploaded
file. This module measures how much such data a notebook holds. The measure is the
compressed size of every literal, comment and data-like run of text, taken together:
ordinary code has short strings whose information is a few hundred bytes; 10,000 labels
are about 5 KB however they are spelled.

Student code is parsed with `ast` in a confined child (grader.confined), so a notebook
built to make the parser slow or greedy costs a bounded process, never the worker.

No Django and no coursework here: the confined child imports this module on its own.
"""
from __future__ import annotations

import ast
import io
import json
import re
import tokenize
import zlib

from grader import confined
from grader.confined import LimitExceeded

# A finding shorter than this is ordinary code ("relu", a file name, a format string).
MIN_CHARS = 48
# How many findings are kept for the TA's page (the largest first); the total counts them all.
KEEP = 20
# Text that looks like data rather than prose: long unbroken base64- or hex-like words,
# and long runs of numbers separated by commas, semicolons or spaces.
DATA_WORD = re.compile(r"[A-Za-z0-9+/=_-]{64,}")
NUMBER_RUN = re.compile(r"(?:-?\d+(?:\.\d+)?(?:[eE]-?\d+)?[\s,;]+){24,}-?\d+(?:\.\d+)?")
# IPython lines that are not Python (magics, shell escapes): blanked before parsing.
MAGIC = re.compile(r"^\s*[%!?]")

LIMITS = confined.Limits(wall_seconds=10.0, cpu_seconds=8, memory_bytes=1024 * 1024 * 1024)


def find(notebook_bytes: bytes, limits: confined.Limits = LIMITS) -> dict:
    """What embedded data the notebook holds: {"bytes": compressed size of it all,
    "findings": [the largest pieces, with where they are]}; or {"bytes": None,
    "problem": why it could not be measured} (which a TA should look at too)."""
    try:
        return confined.run("grader.embedded:scan", notebook_bytes, limits)
    except LimitExceeded as exc:
        return {"bytes": None, "findings": [], "problem": f"the notebook could not be checked for embedded data "
                                                          f"(the check stopped: {exc.kind}, {exc.detail})"}
    except confined.Refused as exc:
        return {"bytes": None, "findings": [], "problem": str(exc)}


# --- in the confined child ------------------------------------------------------------

def compressed_size(data: bytes) -> int:
    return len(zlib.compress(data, 9))


def scan(data: bytes) -> dict:
    try:
        nb = json.loads(data)
    except (ValueError, RecursionError):
        raise confined.Refused("the notebook is not readable JSON") from None
    if not isinstance(nb, dict):
        raise confined.Refused("the notebook is not a JSON object")
    findings: list[dict] = []
    cells = nb.get("cells") if isinstance(nb.get("cells"), list) else []
    for index, cell in enumerate(cells):
        if not isinstance(cell, dict):
            continue
        source = _text(cell.get("source"))
        if cell.get("cell_type") == "code":
            findings += _code_findings(source, index)
            for output in cell.get("outputs") if isinstance(cell.get("outputs"), list) else []:
                findings += _text_findings(_output_text(output), index, "output")
        else:
            findings += _text_findings(source, index, "text")
        if cell.get("metadata"):
            findings += _blob_findings(json.dumps(cell["metadata"], sort_keys=True), index, "cell metadata")
        attachments = cell.get("attachments")
        if isinstance(attachments, dict):
            for name, bundle in attachments.items():
                findings += _blob_findings(json.dumps(bundle, sort_keys=True), index, f"attachment {str(name)[:80]}")
    metadata = nb.get("metadata")
    if isinstance(metadata, dict):
        # The kernel's name and language are in every notebook: only the rest can carry data.
        rest = {k: v for k, v in metadata.items() if k not in ("kernelspec", "language_info")}
        if rest:
            findings += _blob_findings(json.dumps(rest, sort_keys=True), None, "notebook metadata")
    total = compressed_size(b"\n".join(f.pop("content") for f in findings)) if findings else 0
    findings.sort(key=lambda f: -f["bytes"])
    return {"bytes": total, "findings": findings[:KEEP]}


def _output_text(output) -> str:
    """An output's text. Pictures (image/*) are left out: a plot in an uploaded notebook is
    ordinary, and the grader runs the notebook afresh (docs/grading.md says what this misses)."""
    if not isinstance(output, dict):
        return ""
    parts = [_text(output.get("text")), *(_text(line) for line in output.get("traceback") or [] if isinstance(line, str))]
    data = output.get("data")
    if isinstance(data, dict):
        parts += [value if isinstance(value, str) else _text(value) if isinstance(value, list)
                  else json.dumps(value, sort_keys=True)
                  for mime, value in data.items() if not str(mime).startswith("image/")]
    return "\n".join(parts)


def _text(source) -> str:
    if isinstance(source, list):
        return "".join(s for s in source if isinstance(s, str))
    return source if isinstance(source, str) else ""


def _finding(content: bytes, kind: str, cell: int | None, where: str, **position) -> dict:
    return {"kind": kind, "cell": cell, "where": where, "chars": len(content), "bytes": compressed_size(content),
            "content": content, **position}


def _code_findings(source: str, cell: int) -> list[dict]:
    python = "\n".join("" if MAGIC.match(line) else line for line in source.split("\n"))
    try:
        tree = ast.parse(python)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return _text_findings(source, cell, "code")  # it will not run, but its text can still be read back
    lines = python.split("\n")
    found = []
    for node in _maximal_literals(tree):
        if isinstance(node, ast.Constant):
            value = node.value
            content = value if isinstance(value, bytes) else str(value).encode("utf-8", "surrogatepass")
            kind = "bytes literal" if isinstance(value, bytes) else "string literal"
        else:
            content = (_segment(lines, node) or "").encode("utf-8", "surrogatepass")
            kind = "number list" if _all_numbers(node) else "literal collection"
        if len(content) >= MIN_CHARS:
            found.append(_finding(content, kind, cell, "code", line=node.lineno,
                                  col=_chars(lines, node.lineno, node.col_offset), end_line=node.end_lineno,
                                  end_col=_chars(lines, node.end_lineno, node.end_col_offset)))
    try:
        for token in tokenize.generate_tokens(io.StringIO(python).readline):
            if token.type == tokenize.COMMENT and len(token.string) >= MIN_CHARS:
                found.append(_finding(token.string.encode("utf-8", "surrogatepass"), "comment", cell, "code",
                                      line=token.start[0], col=token.start[1], end_line=token.end[0],
                                      end_col=token.end[1]))
    except (tokenize.TokenError, SyntaxError):
        pass
    return found


def _is_literal(node) -> bool:
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        return isinstance(node.operand, ast.Constant)
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return all(_is_literal(e) for e in node.elts)
    if isinstance(node, ast.Dict):
        return all(k is not None and _is_literal(k) for k in node.keys) and all(_is_literal(v) for v in node.values)
    return False


def _all_numbers(node) -> bool:
    for child in ast.walk(node):
        if isinstance(child, ast.Constant) and not isinstance(child.value, (int, float, complex, bool)):
            return False
    return True


def _maximal_literals(tree):
    """Literal strings and bytes, and collections made only of literals, outermost first
    (a list of 10,000 numbers is one finding, not 10,001)."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Constant) and isinstance(node.value, (str, bytes)):
            yield node
            continue
        if isinstance(node, (ast.List, ast.Tuple, ast.Set, ast.Dict)) and _is_literal(node):
            yield node
            continue
        stack.extend(ast.iter_child_nodes(node))


def _chars(lines: list[str], lineno: int, byte_offset: int) -> int:
    """ast counts columns in UTF-8 bytes; the TA's page highlights by characters."""
    return len(lines[lineno - 1].encode()[:byte_offset].decode(errors="replace"))


def _segment(lines: list[str], node) -> str | None:
    """The node's source text (ast.get_source_segment, without re-splitting the source per call)."""
    if node.end_lineno is None:
        return None
    first, last = node.lineno - 1, node.end_lineno - 1
    if first == last:
        return lines[first].encode()[node.col_offset:node.end_col_offset].decode(errors="replace")
    parts = [lines[first].encode()[node.col_offset:].decode(errors="replace"), *lines[first + 1:last],
             lines[last].encode()[:node.end_col_offset].decode(errors="replace")]
    return "\n".join(parts)


def _text_findings(text: str, cell: int | None, where: str) -> list[dict]:
    """Data-like runs in prose (markdown, outputs, code that does not parse)."""
    found = []
    for pattern, kind in ((DATA_WORD, "encoded text"), (NUMBER_RUN, "run of numbers")):
        for match in pattern.finditer(text):
            content = match.group().encode("utf-8", "surrogatepass")
            if len(content) >= MIN_CHARS:
                line = text.count("\n", 0, match.start()) + 1
                found.append(_finding(content, kind, cell, where, line=line))
    return found


def _blob_findings(text: str, cell: int | None, where: str) -> list[dict]:
    """Metadata and attachments are data by nature: all of it counts once it is large."""
    content = text.encode("utf-8", "surrogatepass")
    return [_finding(content, "data", cell, where)] if len(content) >= MIN_CHARS else []
