"""Clean versus probe accuracy: what the probe costs honest networks, and what it leaves
the notebooks that know the test labels. The figures docs/grading.md calibrates
GRADER_PROBE_MAX_GAP from ("How the test set is asked").

    .venv/bin/python benchmarks/probe_gap.py [--runs 3] [--skip-notebooks]

The reference network is run here, on probes made by the grader's own function (one per
run); the notebooks (the course's solution, the nearest-mean classifier and each cheat of
tests/support/notebooks.py) go through `manage.py grade_notebook --json`, the real sandbox.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def reference_rows(runs: int) -> list[tuple[str, float, float, bool | None]]:
    import numpy as np
    from django.conf import settings

    from grader import scoring
    from grader.data import test_set
    from reference_nn import persist

    images, labels = test_set()
    net, _ = persist.load(settings.REFERENCE_MODEL_PATH)
    clean = scoring.accuracy(net.predict(images), labels)
    rows = []
    for seed in range(runs):
        probe = scoring.probe_images(images, settings.GRADER_PROBE_NOISE, np.random.default_rng(seed))
        rows.append((f"reference network (run {seed + 1})", clean, scoring.accuracy(net.predict(probe), labels), None))
    return rows


def notebook_rows(directory: Path) -> list[tuple[str, float, float, bool | None]]:
    from reference_nn.reference import load_mnist
    from tests.support.notebooks import CHEATS, nearest_mean_notebook, with_label_table

    from django.conf import settings

    test = load_mnist(settings.MNIST_DATA_DIR)[2:]
    notebooks = {"solution notebook": (ROOT / "assignments" / "mnist_solution.ipynb").read_bytes(),
                 "nearest-mean classifier": nearest_mean_notebook()}
    notebooks.update({f"cheat: {name}": make(*test) for name, make in sorted(CHEATS.items())})
    notebooks["cheat: solution + label table"] = with_label_table(notebooks["solution notebook"], *test)
    rows = []
    for name, data in notebooks.items():
        path = directory / (name.replace(" ", "-").replace(":", "") + ".ipynb")
        path.write_bytes(data)
        out = subprocess.run([sys.executable, str(ROOT / "manage.py"), "grade_notebook", "--json", str(path)],
                             capture_output=True, text=True, cwd=ROOT, check=True)
        report = json.loads(out.stdout)
        probe = report["feedback"]["probe"]
        rows.append((name, probe["clean_accuracy"], probe["noisy_accuracy"], report["flagged"]))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--skip-notebooks", action="store_true")
    args = parser.parse_args()
    import django

    django.setup()
    from django.conf import settings

    rows = reference_rows(args.runs)
    if not args.skip_notebooks:
        with tempfile.TemporaryDirectory() as directory:
            rows += notebook_rows(Path(directory))
    print(f"probe: noise {settings.GRADER_PROBE_NOISE}, shift up to 0.5 px; flag above a gap of "
          f"{settings.GRADER_PROBE_MAX_GAP:.1%}; batches of {settings.GRADER_PREDICT_BATCH}")
    print(f"{'':36} {'clean':>8} {'probe':>8} {'gap':>8}  flagged")
    for name, clean, probe, flagged in rows:
        shown = "-" if flagged is None else ("yes" if flagged else "no")
        print(f"{name:36} {clean:8.2%} {probe:8.2%} {clean - probe:+8.2%}  {shown}")


if __name__ == "__main__":
    main()
