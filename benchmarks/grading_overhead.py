"""What the sandbox, scoring and feedback add to running a notebook, and what an earlier
version of the grader took for the same notebooks.

For each notebook (a trivial one, the assignment's template and its solution), in turn:
(a) full sandboxed grades through the Celery task body (claim the row, build inputs, run
the harness in bubblewrap, render the page, score, draw the feedback, store it), with
this checkout's code; (b) with --before REV, the same with the grader as it was at git
revision REV (extracted under var/, run with the same environments and data); (c) a bare
`jupyter nbconvert --execute` of the notebook with the kernel environment. (a) and (b)
each run in a fresh process that grades once to warm up (imports, the reference
network) and then `--rounds` times; medians are printed side by side.

    python benchmarks/grading_overhead.py [--rounds 3] [--notebooks trivial,template,solution] [--before REV]

Last line: overhead_s=D sandboxed_s=S bare_s=B [before_s=P] (for the first notebook)
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TRIVIAL = "import numpy as np\n\ndef predict(images):\n    return np.zeros(len(images), dtype=int)"
NOTEBOOKS = {
    "trivial": None,  # built from TRIVIAL
    "template": ROOT / "assignments" / "mnist_template.ipynb",
    "solution": ROOT / "assignments" / "mnist_solution.ipynb",
}


def notebook_bytes(name: str) -> bytes:
    if NOTEBOOKS[name] is not None:
        return NOTEBOOKS[name].read_bytes()
    sys.path.insert(0, str(ROOT))
    from tests.support.notebooks import notebook

    return notebook(TRIVIAL)


def measure(code_root: Path, notebook_path: Path, rounds: int) -> None:
    """Child mode: grade one notebook rounds + 1 times with the grader in code_root; print JSON."""
    sys.path.insert(0, str(code_root))
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        os.environ.update({
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": f"sqlite:///{tmp / 'bench.sqlite3'}",
            "MEDIA_ROOT": str(tmp / "media"),
        })
        import django

        django.setup()
        from django.contrib.auth.models import User
        from django.core.files.base import ContentFile
        from django.core.management import call_command

        from coursework.models import Assignment, Submission

        try:
            from coursework.tasks import grade_submission
        except ImportError:  # the grader before its tasks moved to coursework
            from grader.tasks import grade_submission

        call_command("migrate", verbosity=0)
        data = notebook_path.read_bytes()
        student = User.objects.create_user("bench")
        assignment = Assignment.objects.create(slug="mnist", title="MNIST")
        seconds, render_seconds, status = [], [], None
        for round_ in range(rounds + 1):  # round 0 warms caches and is not counted
            submission = Submission(assignment=assignment, student=student, original_name=notebook_path.name)
            submission.notebook.save(notebook_path.name, ContentFile(data), save=False)
            submission.save()
            started = time.perf_counter()
            status = grade_submission.apply(args=[submission.pk]).get()
            took = time.perf_counter() - started
            if round_:
                seconds.append(took)
                render = Submission.objects.get(pk=submission.pk).feedback.get("render_seconds")
                if render is not None:
                    render_seconds.append(render)
        print(json.dumps({"seconds": seconds, "render_seconds": render_seconds, "status": status}))


def run_child(code_root: Path, notebook_path: Path, rounds: int) -> dict:
    env = {**os.environ,
           # The data, the trained reference, the kernel environment and the work directory
           # of this checkout, whichever code grades: only the grader's code differs.
           "MNIST_DATA_DIR": os.environ.get("MNIST_DATA_DIR", str(ROOT / "var" / "data" / "mnist")),
           "REFERENCE_MODEL_PATH": os.environ.get("REFERENCE_MODEL_PATH", str(ROOT / "var" / "reference" / "model")),
           "GRADER_KERNEL_VENV": os.environ.get("GRADER_KERNEL_VENV", str(ROOT / ".venv-kernel")),
           "GRADER_WORK_ROOT": os.environ.get("GRADER_WORK_ROOT", str(ROOT / "var" / "work"))}
    env.pop("DATABASE_URL", None)
    out = subprocess.run([sys.executable, __file__, "--measure", str(code_root), "--notebook", str(notebook_path),
                          "--rounds", str(rounds)], env=env, capture_output=True, text=True, check=False)
    if out.returncode:
        raise SystemExit(f"grading with {code_root} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def extract(rev: str) -> Path:
    """REV's tree under var/ (the sandbox's uid must be able to enter it to reach the harness)."""
    dest = ROOT / "var" / f"bench-before-{rev.replace('/', '-')}"
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev], capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    for path in [dest, *dest.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    return dest


def bare(notebook_path: Path) -> float:
    jupyter = ROOT / ".venv-kernel" / "bin" / "jupyter"
    started = time.perf_counter()
    subprocess.run([str(jupyter), "nbconvert", "--to", "notebook", "--execute", "--stdout",
                    "--ExecutePreprocessor.timeout=1200", str(notebook_path)],
                   env={**os.environ, "MNIST_DATA_DIR": str(ROOT / "var" / "data" / "mnist")},
                   check=False, capture_output=True, cwd=notebook_path.parent)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--notebooks", default="trivial,template,solution")
    parser.add_argument("--before", metavar="REV", help="also grade with the grader as it was at this git revision")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--notebook", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        measure(args.measure, args.notebook, args.rounds)
        return
    names = args.notebooks.split(",")
    before_root = extract(args.before) if args.before else None
    rows = []
    try:
        with tempfile.TemporaryDirectory() as tmp_name:
            for name in names:
                path = Path(tmp_name) / f"{name}.ipynb"
                path.write_bytes(notebook_bytes(name))
                now = run_child(ROOT, path, args.rounds)
                then = run_child(before_root, path, args.rounds) if before_root else None
                b = statistics.median(bare(path) for _ in range(args.rounds))
                row = {"name": name, "status": now["status"], "sandboxed": statistics.median(now["seconds"]),
                       "render": statistics.median(now["render_seconds"]) if now["render_seconds"] else None,
                       "before": statistics.median(then["seconds"]) if then else None, "bare": b}
                rows.append(row)
                before = f", before ({args.before}) {row['before']:.2f} s" if then else ""
                render = f" (of which rendering in the sandbox {row['render']:.2f} s)" if row["render"] is not None else ""
                print(f"{name}: {row['status']}; sandboxed grade {row['sandboxed']:.2f} s{render}{before}, "
                      f"bare nbconvert --execute {b:.2f} s", flush=True)
    finally:
        if before_root:
            shutil.rmtree(before_root, ignore_errors=True)
    first = rows[0]
    if first["before"] is not None:
        print(f"median over {args.rounds} rounds; after/before: "
              + ", ".join(f"{r['name']} {r['sandboxed'] / r['before']:.2f}x ({r['sandboxed'] - r['before']:+.2f} s)" for r in rows))
    tail = f" before_s={first['before']:.3f}" if first["before"] is not None else ""
    print(f"overhead_s={first['sandboxed'] - first['bare']:.3f} sandboxed_s={first['sandboxed']:.3f} "
          f"bare_s={first['bare']:.3f}{tail}")


if __name__ == "__main__":
    main()
