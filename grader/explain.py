"""A failed run told so that the student can fix it: the failing cell and its source, the
traceback's last frames (the student's own code marked), and, for the mistakes students
make most, the mistake named with its fix.

Everything here reads what the sandbox sent back (the harness's account and the executed
notebook), which the notebook could shape: it only ever becomes text on a page, escaped.
"""
from __future__ import annotations

import json
import re

from .limits import Limits

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
CELL_FRAME = re.compile(r"^Cell In\[(?P<count>\d+)\], line (?P<line>\d+)(?:, in (?P<function>.+))?$")
FILE_FRAME = re.compile(r"^File (?P<file>.+?):(?P<line>\d+)(?:, in (?P<function>.+))?$")
CODE_LINE = re.compile(r"^(?P<arrow>-*>)?\s*(?P<number>\d+)(?: (?P<code>.*))?$")
FRAMES_SHOWN = 3
SOURCE_LINES_SHOWN = 40
TEST_LABELS = "t10k-labels"

# The fixes, in our words; {figures} come from the run.
MISTAKES = {
    "template_todo": (
        "A part of the template is not written yet",
        "`{function}` still ends in the template's `raise NotImplementedError`. Each TODO comment says what "
        "to write there: replace the TODO and the raise with your code (for predict, the forward pass and the "
        "index of the largest output for each image), run the whole notebook on your own machine, then upload it "
        "again.",
    ),
    "probabilities": (
        "predict returns scores, not labels",
        "predict(images) must return one digit per image, shape (N,). Your network's last layer gives ten scores "
        "per image: return the index of the largest, `scores.argmax(axis=1)`.",
    ),
    "floats": (
        "predict returns fractions, not whole labels",
        "predict(images) must return whole digits 0-9. If you return an average, a rounded score or a single "
        "probability, take the most likely digit instead: `scores.argmax(axis=1)`, and check for NaN (a loss "
        "that blew up during training).",
    ),
    "shape": (
        "predict returns the wrong number of labels",
        "predict(images) must return exactly one label per row of `images`, shape (len(images),). Predict for "
        "the images it is given (not a fixed set such as X_val), and in batches join the pieces with "
        "`np.concatenate`.",
    ),
    "test_labels": (
        "The notebook reads the test labels, which the grader does not give it",
        "The test labels stay outside the sandbox: your score is computed from your predictions alone. Measure "
        "accuracy on a validation split of the training set instead (the template holds out 5,000 training "
        "images as X_val, y_val), and load only the three files the grader provides.",
    ),
    "array_shapes": (
        "Two arrays' shapes do not fit together",
        "A matrix product `a @ W` needs `a.shape[1] == W.shape[0]`, and `+` needs shapes NumPy can broadcast. Print "
        "the `.shape` of each array on the marked line: a batch X is (B, 784), W[l] is (sizes[l], sizes[l+1]) and "
        "b[l] is (sizes[l+1],). A transposed matrix or a missing reshape(-1, 784) is the usual cause.",
    ),
    "no_predict": (
        "The notebook defines no predict(images)",
        "The grader calls `predict(images)` after your last cell. Define it at the top level of a cell (not "
        "inside a class or an `if`), with that exact name.",
    ),
    "sealed": (
        "predict tried to reach outside itself while it was asked",
        "While the grader asks predict(images), predict runs sealed, so that nothing it sees of one set of images "
        "can reach the next: it cannot open or write files, start processes, or open connections. Load what it needs "
        "(weights, data, modules) in a cell before, into variables, and have predict compute from those alone.",
    ),
    "memory": (
        "The notebook ran out of memory",
        "{figures} Keep arrays in float32, train and predict in mini-batches instead of on all 60,000 images at "
        "once, and `del` large arrays you no longer need.",
    ),
    "total_time": (
        "The notebook ran out of time",
        "{figures} Train for fewer epochs, or with fewer or smaller hidden layers, and avoid Python loops over "
        "single images: a batch of images is one matrix product. A few minutes of training on a CPU is enough "
        "for the project.",
    ),
    "cell_time": (
        "A cell ran out of time",
        "{figures} Split long training over several cells, train for fewer epochs, and avoid Python loops "
        "over single images: a batch of images is one matrix product.",
    ),
    # PyTorch notebooks' own slips (the pytorch kernel environment).
    "tensor": (
        "predict returns a tensor that is still part of the training graph",
        "predict(images) must return plain labels, which the grader reads as a NumPy array; a tensor that tracks "
        "gradients cannot be turned into one. Compute them under `with torch.no_grad():` and hand back "
        "`scores.argmax(dim=1).numpy()` (or `.detach().numpy()` of the labels).",
    ),
    "cuda": (
        "The notebook asks for a GPU the grader does not have",
        "The grader runs PyTorch's CPU build, with no GPU. Choose the device instead of naming it: "
        "`device = 'cuda' if torch.cuda.is_available() else 'cpu'`, then `.to(device)` for the model and each "
        "batch; predict must still return a NumPy array on the CPU (`.cpu().numpy()`).",
    ),
    "no_internet": (
        "The notebook tries to download something, and the grader has no internet",
        "Nothing can be downloaded while the grader runs your notebook: no datasets, no pretrained weights "
        "(torch.hub), no packages. The MNIST training files are already in the directory named by "
        "`MNIST_DATA_DIR` (the template's first cell reads them), and a network for this project trains from "
        "scratch in a minute or two.",
    ),
    "missing_module": (
        "The notebook imports a library the grader does not have",
        "The assignment page lists the libraries your notebook can import; nothing else can be installed, since the "
        "grader has no internet. For MNIST you need no torchvision: the first cell of the template reads the "
        "training files from `MNIST_DATA_DIR` into NumPy arrays, and `torch.from_numpy` makes tensors of them.",
    ),
}
# Where the pytorch notebook's words differ from the NumPy project's for the same mistake.
TORCH_FIXES = {
    "probabilities": (
        "predict returns scores, not labels",
        "predict(images) must return one digit per image, shape (N,). Your model's last layer gives ten scores per "
        "image: return the index of the largest, `model(x).argmax(dim=1).numpy()`, under `torch.no_grad()`.",
    ),
}
MISSING_MODULE = re.compile(r"No module named '(?P<module>[\w.]+)'")
NO_INTERNET = re.compile(r"no internet connection|Temporary failure in name resolution|Name or service not known|"
                         r"Network is unreachable|urlopen error")
NO_GPU = re.compile(r"Torch not compiled with CUDA enabled|Found no NVIDIA driver|No CUDA GPUs are available")


def explain(result: dict, notebook: str | None, message: str, mistake: str | None, limits: Limits,
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
    key = mistake or _mistake_from_error(ename, evalue, message)
    if not failure.get("cell") and key in PREDICT_MISTAKES:
        # Nothing raised: what predict returned was wrong, so show where predict is written.
        failure.update(_where_predict_is(cells))
    if failure.get("cell"):
        failure["source"] = _source(cells[failure["cell"] - 1], failure.get("line"))
    failure["frames"] = frames[-FRAMES_SHOWN:]
    failure["frames_hidden"] = max(0, len(frames) - FRAMES_SHOWN)
    if key in MISTAKES:
        name, fix = TORCH_FIXES[key] if key in TORCH_FIXES and _uses_torch(cells) else MISTAKES[key]
        function = failure.get("function") or "predict"
        failure["mistake"] = {
            "key": key, "name": name,
            "fix": fix.format(function=function.split("(")[0], figures=_figures(key, limits, wall_seconds,
                                                                                peak_memory_mb)).strip(),
        }
    return failure


PREDICT_MISTAKES = ("probabilities", "floats", "shape")
# NumPy's words for operands whose shapes do not fit (matmul, dot, broadcasting).
SHAPES_DO_NOT_FIT = re.compile(r"matmul: Input operand|shapes \(.{0,80}\) and \(.{0,80}\) not aligned|"
                               r"operands could not be broadcast together")
DEF_PREDICT = re.compile(r"^\s*def\s+predict\s*\(")


def _where_predict_is(cells: list[dict]) -> dict:
    """The last code cell that defines predict (the one in force when the grader called it)."""
    for index in range(len(cells) - 1, -1, -1):
        if cells[index].get("cell_type") != "code":
            continue
        for number, line in enumerate(_text(cells[index].get("source")).splitlines(), start=1):
            if DEF_PREDICT.match(line):
                return {"cell": index + 1, "line": number, "function": "predict(images)"}
    return {}


def _mistake_from_error(ename: str, evalue: str, message: str) -> str | None:
    if ename == "NotImplementedError":
        return "template_todo"
    if ename in ("FileNotFoundError", "OSError", "IOError") and TEST_LABELS in evalue:
        return "test_labels"
    if ename == "MemoryError" or (ename == "RuntimeError" and "DefaultCPUAllocator: can't allocate memory" in evalue):
        return "memory"  # torch's allocator says so in a RuntimeError of its own
    if ename == "RuntimeError" and "that requires grad" in evalue:
        return "tensor"
    if NO_GPU.search(evalue):
        return "cuda"
    if ename in ("URLError", "HTTPError", "gaierror", "ConnectionError", "RuntimeError", "OSError") \
            and NO_INTERNET.search(evalue):
        return "no_internet"
    if ename == "ModuleNotFoundError" and MISSING_MODULE.search(evalue):
        return "missing_module"
    # torch.save says it in a RuntimeError of its own ("open file failed ... Operation not permitted").
    if ename in ("PermissionError", "RuntimeError") and "predict(images)" in message and "not permitted" in evalue:
        return "sealed"
    if ename == "ValueError" and SHAPES_DO_NOT_FIT.search(evalue):
        return "array_shapes"
    if ename == "NameError" and "defines neither predict(images)" in (evalue or message):
        return "no_predict"
    return None


def _uses_torch(cells: list[dict]) -> bool:
    return any(cell.get("cell_type") == "code" and re.search(r"^\s*(import|from) torch\b", _text(cell.get("source")),
                                                                re.MULTILINE) for cell in cells)


def _figures(key: str, limits: Limits, wall_seconds: float | None, peak_memory_mb: float | None) -> str:
    if key == "memory":
        seen = f"; it held {peak_memory_mb:,.0f} MB when it was stopped" if peak_memory_mb else ""
        return f"The limit is {limits.memory_mb:,} MB for the whole notebook{seen}."
    if key == "total_time":
        took = f"; it had run for {wall_seconds:,.0f} s" if wall_seconds else ""
        return f"The limit is {limits.total_timeout_s:,} s for the whole notebook{took}."
    if key == "cell_time":
        return f"The limit is {limits.cell_timeout_s:,} s per cell and {limits.total_timeout_s:,} s in all."
    return ""


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
