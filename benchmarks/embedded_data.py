"""How much embedded data the course's notebooks carry, beside notebooks that carry the
test labels, and what measuring it costs: the figures FLAG_EMBEDDED_DATA_BYTES is set
from (docs/grading.md, "What the grader detects").

    python benchmarks/embedded_data.py [--repeat 3]

Each row: compressed bytes of literals and data-like text (grader.embedded), the largest
piece, and the best of --repeat wall times for the confined check (a new interpreter
each time, as the worker runs it).
Last line: largest_honest_bytes=X smallest_cheat_bytes=Y limit=Z
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402

from grader import data, embedded  # noqa: E402
from tests.support.notebooks import nearest_mean_notebook, notebook  # noqa: E402


def cheats(labels: list[int]) -> dict[str, bytes]:
    digits = "".join(map(str, labels))
    return {
        "labels as a list": notebook(f"LABELS = {labels!r}"),
        "labels as a string": notebook(f"LABELS = '{digits}'"),
        "labels as bytes": notebook(f"LABELS = b'{digits}'"),
        "labels in comments": notebook("\n".join(f"# {digits[i:i + 100]}" for i in range(0, len(digits), 100))),
        "labels in cell metadata": _in_metadata(digits),
        "half the labels as a list": notebook(f"LABELS = {labels[:5000]!r}"),
    }


def _in_metadata(digits: str) -> bytes:
    import nbformat

    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("x = 1")
    cell.metadata["labels"] = digits
    nb.cells = [cell]
    return nbformat.writes(nb).encode()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    honest = {"solution notebook": (ROOT / "assignments" / "mnist_solution.ipynb").read_bytes(),
              "template notebook": (ROOT / "assignments" / "mnist_template.ipynb").read_bytes(),
              "nearest-mean classifier": nearest_mean_notebook()}
    rows = {**{k: (v, False) for k, v in honest.items()},
            **{k: (v, True) for k, v in cheats(data.test_set()[1].tolist()).items()}}
    print(f"{'notebook':28} {'size':>9} {'embedded':>9}  {'largest piece':40} {'check':>7}")
    measured = {}
    for name, (nb, _) in rows.items():
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            found = embedded.find(nb)
            times.append(time.perf_counter() - start)
        measured[name] = found["bytes"]
        top = found["findings"][0] if found["findings"] else None
        piece = f"{top['kind']}, {top['chars']:,} chars in {top['where']}" if top else "-"
        print(f"{name:28} {len(nb):>9,} {found['bytes']:>9,}  {piece:40} {min(times):>6.2f}s")
    honest_max = max(measured[k] for k, (_, cheat) in rows.items() if not cheat)
    cheat_min = min(measured[k] for k, (_, cheat) in rows.items() if cheat)
    print(f"largest_honest_bytes={honest_max} smallest_cheat_bytes={cheat_min} limit={settings.FLAG_EMBEDDED_DATA_BYTES}")


if __name__ == "__main__":
    main()
