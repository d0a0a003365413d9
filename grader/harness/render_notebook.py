"""Render an executed notebook to one standalone HTML page. Runs INSIDE the sandbox,
started by the harness as a process of its own:

    python render_notebook.py STATE_FD MAX_HTML_BYTES  < notebook.json  > page.html

Rendering is nbconvert's classic template with the plain Python 3 lexer, as the site
used to do in the worker. Everything in the notebook is the student's, and nbconvert's
Markdown parser is quadratic on some inputs and its widget filter trusts output shapes,
so the harness runs this under a wall-clock budget and kills it when the budget is spent.
To name the cell at fault even when it is killed, this process keeps the index of the
cell nbconvert is on (in its preprocessors and in the template; -1 between passes) in
STATE_FD, a small shared memory file the harness made, and ends by writing its report
after it (see STATE below). A memory write per cell costs nothing, where a pipe message
per cell would cost a system call per cell per pass.
"""
import ctypes
import json
import mmap
import struct
import sys

import nbformat

import protocol

# The state file: int64 cell index (-1: none), int64 report length, the report (JSON).
STATE = struct.Struct("<qq")
STATE_BYTES = 64 * 1024
_state = None
_current = {"cell": None, "html": {}}  # the cell nbconvert is on; HTML characters per cell


def on_cell(index: int | None) -> None:
    _current["cell"] = index
    if _state is not None:
        struct.pack_into("<q", _state, 0, -1 if index is None else index)


def report(outcome: dict) -> None:
    data = json.dumps(outcome).encode()[: STATE_BYTES - STATE.size]
    _state[STATE.size:STATE.size + len(data)] = data
    struct.pack_into("<q", _state, 8, len(data))


class TrackedCells(list):
    """The notebook's cell list: iterating it (as every preprocessor and the template do)
    reports which cell nbconvert is working on. No state of its own, so deepcopy keeps it."""

    def __iter__(self):
        for index, cell in enumerate(list.__iter__(self)):
            on_cell(index)
            yield cell
        on_cell(None)


class TooLarge(Exception):
    pass


class _MeasuredTemplate:
    """The exporter's Jinja template, rendered chunk by chunk so that the page's size is
    known while it grows (and charged to the cell that produced it)."""

    def __init__(self, template, max_chars: int):
        self.template, self.max_chars = template, max_chars

    def render(self, *args, **kwargs):
        parts, total, sizes = [], 0, _current["html"]
        for chunk in self.template.generate(*args, **kwargs):
            total += len(chunk)
            if _current["cell"] is not None:
                sizes[_current["cell"]] = sizes.get(_current["cell"], 0) + len(chunk)
            if total > self.max_chars:
                raise TooLarge(total)
            parts.append(chunk)
        return "".join(parts)


def exporter(max_chars: int):
    """nbconvert's HTML exporter with the template measured. nbconvert is imported here,
    not at the top: the harness imports this module for STATE and has no use for it."""
    from nbconvert import HTMLExporter

    class Exporter(HTMLExporter):
        @property
        def template(self):
            return _MeasuredTemplate(super().template, max_chars)

    # Validate once, after all preprocessors, not after each: the same answer, a tenth of the work.
    return Exporter(template_name="classic", optimistic_validation=True)


def culprit(exc: BaseException):
    """The cell at fault: the one nbconvert was on, or the one a schema error points into."""
    path = list(getattr(exc, "absolute_path", None) or [])
    if len(path) >= 2 and path[0] == "cells" and type(path[1]) is int:
        return path[1]
    return _current["cell"]


def describe(exc: BaseException) -> str:
    """What was wrong, in words a student can act on."""
    if isinstance(exc, nbformat.ValidationError):
        return f"an output that does not follow the notebook format ({str(exc).splitlines()[0][:200]})"
    if isinstance(exc, KeyError) and exc.args == ("model_id",):
        return "a widget view without a model_id"
    if isinstance(exc, MemoryError):
        return "showing it needs more memory than the sandbox allows"
    if isinstance(exc, RecursionError):
        return "it is nested too deeply"
    return f"{type(exc).__name__}: {str(exc)[:300]}"


# nbconvert's classic colours for some code tokens, ANSI output (tracebacks) and the Out prompt
# are too faint to read (below WCAG's 4.5:1 contrast on their backgrounds, as axe-core
# measures them); these are the same hues, darker. Lines wrap so that nothing scrolls
# sideways on a phone (a scrolling region a keyboard cannot reach).
READABLE_CSS = """<style>
.highlight .ow, .highlight .nd { color: #7a1fbf; }
.highlight .ne { color: #a8322b; } .highlight .nl { color: #5c5c00; } .highlight .se { color: #85460f; }
.highlight .si, .highlight .sr { color: #84405d; } .highlight .ni, .highlight .go { color: #595959; }
.highlight .gt { color: #0037b3; } .highlight .c, .highlight .c1, .highlight .cm { color: #2f6363; }
.ansi-red-fg { color: #a1262b; } .ansi-green-fg { color: #00601f; } .ansi-yellow-fg { color: #765a00; }
.ansi-blue-fg { color: #0059b3; } .ansi-magenta-fg { color: #8f2a86; } .ansi-cyan-fg { color: #135f61; }
.ansi-red-intense-fg { color: #a1262b; } .ansi-green-intense-fg { color: #00601f; }
.ansi-yellow-intense-fg { color: #6b4f00; } .ansi-blue-intense-fg { color: #0059b3; }
.ansi-magenta-intense-fg { color: #8f2a86; } .ansi-cyan-intense-fg { color: #135f61; }
.ansi-white-fg, .ansi-white-intense-fg { color: #595959; }
div.output_prompt { color: #a8340f; } div.input_prompt { color: #303f9f; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; }
</style>"""


def render(notebook_json: bytes, max_html_bytes: int) -> bytes:
    nb = nbformat.from_dict(json.loads(notebook_json))
    nb.cells = TrackedCells(nb.get("cells", []))
    # Highlight as plain Python, as the site always has (the IPython lexer would work here,
    # but the pages should look the same as before).
    nb.metadata.setdefault("language_info", {})["pygments_lexer"] = "python3"
    body, _ = exporter(max_html_bytes).from_notebook_node(nb)  # a character is at least one byte
    body = body.replace("</head>", READABLE_CSS + "</head>", 1)
    html = body.encode()
    if len(html) > max_html_bytes:
        raise TooLarge(len(html))
    return html


def main() -> int:
    global _state
    _state = mmap.mmap(int(sys.argv[1]), STATE_BYTES)
    max_html_bytes = int(sys.argv[2])
    try:
        ctypes.CDLL(None, use_errno=True).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE = 4: as the harness
    except (OSError, AttributeError):
        pass
    try:
        notebook_json = sys.stdin.buffer.read()
        html = render(notebook_json, max_html_bytes)
    except TooLarge as exc:
        sizes = _current["html"]
        largest = max(sizes, key=sizes.get) if sizes else None
        report({"problem": protocol.RENDER_TOO_LARGE, "cell": largest, "size": exc.args[0], "cell_size": sizes.get(largest, 0)})
        return 1
    except Exception as exc:  # noqa: BLE001 -- the student's notebook made nbconvert fail: say where and what
        report({"problem": protocol.RENDER_ERROR, "cell": culprit(exc), "detail": describe(exc)})
        return 1
    sys.stdout.buffer.write(html)
    sys.stdout.buffer.flush()
    report({"problem": None})
    return 0


if __name__ == "__main__":
    sys.exit(main())
