"""Where the copy check's thresholds come from (coursework.services.copies; docs/grading.md,
"What the grader detects"): honest pairs beside copies, for code and for behaviour.

    .venv/bin/python benchmarks/copy_calibration.py [--epochs 2]

Code. Every notebook starts from the template (its data-loading cell, its split and its
self-check stay; the template's own lines never count). Honest work is code this project's
other authors wrote, each put into the template as a student would: the reference network
(reference_nn: a class with flat parameter buffers, Adam, a training function), the small
one-hidden-layer network and the nearest-mean classifier of the tests, the template as
downloaded, and the course's solution. Copies are made from them by program: the solution
unchanged, renamed, reformatted, recommented, all of those, with its numbers changed too;
another student's notebook copied with small edits.

Behaviour. Networks trained here with reference_nn on the template's 55,000 training images,
wrong sets on the 10,000 test images: honest pairs of similar accuracy (the same
architecture and recipe with another seed among them, the hardest honest case) beside
copies (identical predictions, and identical but for a few images, as a rerun on another
machine gives).

Last line: honest_pairs_flagged=F/N copies_flagged=C/M honest_worst_code=X
honest_worst_behaviour=Y threshold_code=T1 threshold_behaviour=T2
"""
from __future__ import annotations

import argparse
import ast
import builtins
import io
import itertools
import keyword
import os
import re
import sys
import tokenize
from pathlib import Path

import nbformat
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from coursework.services import copies, project_files  # noqa: E402
from grader import copies as wrong_sets  # noqa: E402
from grader import data  # noqa: E402
from django.conf import settings  # noqa: E402
from reference_nn import fetch  # noqa: E402
from reference_nn.idx import load_images, load_labels  # noqa: E402
from reference_nn.network import Network  # noqa: E402
from reference_nn.train import TrainConfig, train  # noqa: E402
from tests.support import notebooks as test_notebooks  # noqa: E402

TEMPLATE = [c.source for c in nbformat.reads(project_files.TEMPLATE_NOTEBOOK.read_text(), 4).cells
            if c.cell_type == "code"]
SOLUTION = [c.source for c in nbformat.reads(project_files.SOLUTION_NOTEBOOK.read_text(), 4).cells
            if c.cell_type == "code"]


def from_template(*cells: str) -> list[str]:
    """The template's data cells, the student's own cells, the template's self-check."""
    return [TEMPLATE[0], TEMPLATE[1], *cells, TEMPLATE[-1]]


def _module_code(path: Path) -> str:
    """A module of reference_nn as a student would paste it into a cell: its imports of the
    package and of tqdm gone."""
    text = path.read_text()
    text = re.sub(r"^from (__future__|\.\w*|tqdm) import .*\n", "", text, flags=re.M)
    return text.replace("tqdm(steps, desc=f\"epoch {epoch + 1}/{config.epochs}\", unit=\"batch\", "
                        "disable=not progress, leave=True)", "steps")


REFERENCE_RUN = '''
layer_sizes = [784, 512, 256, 128, 10]
net = Network(layer_sizes, seed=0)
train(net, X_fit, y_fit, TrainConfig(sizes=layer_sizes, epochs=6), validation=(X_val, y_val), progress=False)
train_accuracy = accuracy(net, X_fit, y_fit)
'''


def honest() -> dict[str, list[str]]:
    package = ROOT / "reference_nn"
    reference = [_module_code(package / "network.py"), _module_code(package / "optim.py"),
                 _module_code(package / "train.py"), REFERENCE_RUN,
                 "def predict(images):\n    return net.predict(images)"]
    return {
        "reference network (reference_nn)": from_template(*reference),
        "small network (tests)": from_template(test_notebooks.SMALL_NETWORK),
        "nearest mean (tests)": from_template(test_notebooks.NEAREST_MEAN),
        "template as downloaded": list(TEMPLATE),
        "course solution": list(SOLUTION),
    }


# --- copies, made by program --------------------------------------------------------------

PROTECTED = set(dir(builtins)) | set(keyword.kwlist)


def _names_of(cells: list[str]) -> set[str]:
    names = set()
    for cell in cells:
        for tok in tokenize.generate_tokens(io.StringIO(cell).readline):
            if tok.type == tokenize.NAME:
                names.add(tok.string)
    return names


def renamed(cells: list[str]) -> list[str]:
    """Every name the student's own cells bind, renamed (the template's names and the
    contract's stay, as a copier who wants the notebook to run keeps them)."""
    keep = PROTECTED | _names_of(TEMPLATE) | {"np", "predict", "layer_sizes", "train_accuracy"}
    bound = set()
    for cell in cells:
        for node in ast.walk(ast.parse(cell)):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                bound.add(node.id)
            elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                bound.add(node.name)
            elif isinstance(node, ast.arg):
                bound.add(node.arg)
    mapping = {name: f"my_{name.lower()}_{i}" for i, name in enumerate(sorted(bound - keep))}
    out = []
    for cell in cells:
        toks = list(tokenize.generate_tokens(io.StringIO(cell).readline))
        toks = [t._replace(string=mapping.get(t.string, t.string)) if t.type == tokenize.NAME else t for t in toks]
        out.append(tokenize.untokenize(toks))
    return out


def reformatted(cells: list[str]) -> list[str]:
    """Each cell as ast.unparse writes it: other quotes, spacing, line breaks; no comments."""
    return [ast.unparse(ast.parse(cell)) for cell in cells]


def recommented(cells: list[str], docstrings: bool = False) -> list[str]:
    """Comments replaced by others; with docstrings=True, docstrings rewritten too."""
    out = []
    for n, cell in enumerate(cells):
        toks = [t for t in tokenize.generate_tokens(io.StringIO(cell).readline) if t.type != tokenize.COMMENT]
        text = tokenize.untokenize(toks)
        if docstrings:
            text = re.sub(r'"""(.|\n)*?"""', '"""Written for this assignment."""', text)
        lines = text.split("\n")
        out.append("\n".join(f"{line}  # step {n}.{i}" if line.strip() and i % 3 == 0 and not line.rstrip().endswith(
            ("\\", '"""')) else line for i, line in enumerate(lines)))
    return out


def numbers_changed(cells: list[str]) -> list[str]:
    """Hyperparameters nudged: every float literal other than 0 and 1 times 1.1, epochs + 2."""
    def nudge(match):
        value = float(match.group(0))
        return match.group(0) if value in (0.0, 1.0) else repr(round(value * 1.1, 6))
    return [re.sub(r"range\((\d+)\)", lambda m: f"range({int(m.group(1)) + 2})",
                   re.sub(r"(?<![\w.])\d+\.\d+(e-?\d+)?", nudge, cell)) for cell in cells]


def small_edits(cells: list[str]) -> list[str]:
    """Another student's notebook with its names changed, a print added and its numbers nudged."""
    edited = numbers_changed(renamed(cells))
    return [*edited[:-1], edited[-1] + "\nprint('done')"]


def code_pairs() -> tuple[list, list]:
    h = honest()
    honest_pairs = [(f"{a} / {b}", h[a], h[b]) for a, b in itertools.combinations(h, 2)]
    solution = h["course solution"]
    copy_pairs = [
        ("solution unchanged", solution, solution),
        ("solution renamed", solution, renamed(solution)),
        ("solution reformatted", solution, reformatted(solution)),
        ("solution recommented", solution, recommented(solution)),
        ("solution recommented, docstrings rewritten", solution, recommented(solution, docstrings=True)),
        ("solution renamed, reformatted, recommented", solution,
         recommented(reformatted(renamed(solution)), docstrings=True)),
        ("solution renamed, numbers changed", solution, numbers_changed(renamed(solution))),
    ]
    for name in ("reference network (reference_nn)", "small network (tests)", "nearest mean (tests)"):
        copy_pairs.append((f"{name} copied with small edits", h[name], small_edits(h[name])))
    return honest_pairs, copy_pairs


def code_similarity(a: list[str], b: list[str]) -> float:
    return copies.jaccard(copies.code_shingles(test_notebooks.notebook(*a)),
                          copies.code_shingles(test_notebooks.notebook(*b)))


# --- behaviour ----------------------------------------------------------------------------

NETWORKS = [  # (name, sizes, activation, optimiser, seed)
    ("template sizes, Adam, seed 0", [784, 256, 128, 64, 10], "relu", "adam", 0),
    ("template sizes, Adam, seed 1", [784, 256, 128, 64, 10], "relu", "adam", 1),
    ("smaller, Adam, seed 2", [784, 128, 64, 32, 10], "relu", "adam", 2),
    ("wider, momentum, seed 3", [784, 512, 256, 128, 10], "relu", "momentum", 3),
    ("sigmoid, Adam, seed 4", [784, 200, 100, 50, 10], "sigmoid", "adam", 4),
]


def trained_wrong_sets(epochs: int) -> dict[str, np.ndarray]:
    images, labels = data.test_set()
    x, y = _training()
    x, y = x[:-5000], y[:-5000]  # the template's split
    out = {}
    for name, sizes, activation, optimizer, seed in NETWORKS:
        net = Network(sizes, activation=activation, seed=seed)
        lr = 0.05 if optimizer == "momentum" else 1e-3
        train(net, x, y, TrainConfig(sizes=sizes, activation=activation, optimizer=optimizer, lr=lr, epochs=epochs,
                                     seed=seed), progress=False)
        out[name] = net.predict(images) != labels
        print(f"  trained {name}: {1 - out[name].mean():.2%}", flush=True)
    return out


def _training():
    root = Path(settings.MNIST_DATA_DIR)
    return load_images(root / fetch.TRAIN_IMAGES), load_labels(root / fetch.TRAIN_LABELS).astype(np.int64)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=2, help="training epochs of each network (behaviour)")
    args = parser.parse_args()

    honest_flagged = copies_flagged = honest_n = copies_n = 0
    print("code (Jaccard of normalised shingles, template left out)")
    honest_pairs, copy_pairs = code_pairs()
    honest_code = []
    for name, a, b in honest_pairs:
        score = code_similarity(a, b)
        honest_code.append(score)
        honest_n += 1
        honest_flagged += score >= copies.CODE_THRESHOLD
        print(f"  honest  {score:6.3f}  {name}")
    copy_code = []
    for name, a, b in copy_pairs:
        score = code_similarity(a, b)
        copy_code.append(score)
        copies_n += 1
        copies_flagged += score >= copies.CODE_THRESHOLD
        print(f"  copy    {score:6.3f}  {name}")

    print("behaviour (shared wrong test images, standard deviations above independent mistakes)")
    wrong = trained_wrong_sets(args.epochs)
    honest_behaviour = []
    for a, b in itertools.combinations(wrong, 2):
        z, shared, expected = wrong_sets.overlap_z(wrong[a], wrong[b])
        honest_behaviour.append(z)
        honest_n += 1
        honest_flagged += z >= copies.BEHAVIOUR_THRESHOLD
        print(f"  honest  {z:6.1f}  {a} / {b} (shared {shared}, independent {expected:.0f})")
    rng = np.random.default_rng(7)
    copy_behaviour = []
    for name, mask in wrong.items():
        for flips in (0, 10):  # identical; a rerun that differs on a few images
            other = mask.copy()
            other[rng.choice(len(other), flips, replace=False)] ^= True
            z, shared, expected = wrong_sets.overlap_z(mask, other)
            copy_behaviour.append(z)
            copies_n += 1
            copies_flagged += z >= copies.BEHAVIOUR_THRESHOLD
            print(f"  copy    {z:6.1f}  {name}, {flips} images changed (shared {shared}, independent {expected:.0f})")

    print(f"weakest copy: code {min(copy_code):.3f}, behaviour {min(copy_behaviour):.1f}")
    print(f"honest_pairs_flagged={honest_flagged}/{honest_n} copies_flagged={copies_flagged}/{copies_n} "
          f"honest_worst_code={max(honest_code):.3f} honest_worst_behaviour={max(honest_behaviour):.1f} "
          f"threshold_code={copies.CODE_THRESHOLD} threshold_behaviour={copies.BEHAVIOUR_THRESHOLD}")


if __name__ == "__main__":
    main()
