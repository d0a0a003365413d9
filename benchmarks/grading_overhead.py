"""What the sandbox, scoring and feedback add to running a notebook, and what an earlier
version of the grader took for the same notebooks.

For each notebook (a trivial one, the assignment's template and its solution), in turn:
(a) full sandboxed grades through the Celery task body (claim the row, build inputs, run
the harness in bubblewrap, render the page, score, draw the feedback, store it), with
this checkout's code; (b) with --before REV, the same with the grader as it was at git
revision REV (extracted under var/, run with the same environments and data); (c) a bare
`jupyter nbconvert --execute` of the notebook with the kernel environment; (d) rendering
the executed notebook alone, nbconvert in a warm process against the harness's renderer
process, taking turns. (a) and (b)
each run in a process of their own that grades once to warm up (imports, the
reference network); then the three take turns, `--rounds` times, so that the shared
machine's load falls on each alike. Medians are printed side by side.

    python benchmarks/grading_overhead.py [--rounds 3] [--notebooks trivial,template,solution] [--before REV]

`sandboxed` is what the student waits for: from the task's start to the score stored (the
commit of its row); the page may be drawn after it, and the task's whole time is printed
beside it (`with_page_s`). `score_after_predict_s`: from predict's last answer (the harness's
clock, which is the host's) to that commit.

Last line: overhead_s=D sandboxed_s=S bare_s=B with_page_s=W [before_s=P] [score_after_predict_s=A]
(for the first notebook; overhead is S - B, before_s the same S for REV)
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


def measure(code_root: Path, notebook_path: Path) -> None:
    """Child mode: with the grader in code_root, grade the notebook once per line read from
    stdin, and print one JSON line per grade."""
    answers, sys.stdout = sys.stdout, sys.stderr  # whatever else prints must not mix with the answers
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


        # When the score is stored: the moment the transaction that writes it has committed,
        # before the tasks sent on that commit (the copy check, a page to draw): a send waits
        # for the broker (in this process, which has none, for its retries), and the score is
        # in the database, shown to whoever asks, whatever the send does.
        stored_at = []
        from django.db import transaction

        from coursework import states

        finish = states.finish

        def timed_finish(*args, **kwargs):
            # Registered before the row's own commit hooks, so it runs first of them.
            transaction.on_commit(lambda: stored_at.append(time.time()))
            return finish(*args, **kwargs)

        states.finish = timed_finish
        # When the worker starts reading the result (scoring it): what lies before is the
        # harness and the pipe, what lies after is the worker's.
        from grader import pipeline

        read_at = []
        result_from_run = pipeline.result_from_run

        def timed_result_from_run(*args, **kwargs):
            read_at.append(time.time())
            return result_from_run(*args, **kwargs)

        pipeline.result_from_run = timed_result_from_run
        call_command("migrate", verbosity=0)
        data = notebook_path.read_bytes()
        student = User.objects.create_user("bench")
        assignment = Assignment.objects.create(slug="mnist", title="MNIST")
        for _ in sys.stdin:
            submission = Submission(assignment=assignment, student=student, original_name=notebook_path.name)
            submission.notebook.save(notebook_path.name, ContentFile(data), save=False)
            submission.save()
            stored_at.clear()
            read_at.clear()
            started, started_at = time.perf_counter(), time.time()
            status = grade_submission.apply(args=[submission.pk]).get()
            took = time.perf_counter() - started
            feedback = Submission.objects.get(pk=submission.pk).feedback
            # The harness says when predict's last answer came (an earlier grader did not).
            answered = feedback.get("answered_at")
            print(json.dumps({"seconds": took, "render_seconds": feedback.get("render_seconds"), "status": status,
                              "score_seconds": stored_at[0] - started_at if stored_at else None,
                              "score_after_predict": stored_at[0] - answered if stored_at and answered else None,
                              "worker": stored_at[0] - read_at[0] if stored_at and read_at else None}),
                  file=answers, flush=True)


class Grader:
    """A child process grading one notebook with the grader in code_root, on request."""

    def __init__(self, code_root: Path, notebook_path: Path):
        env = {**os.environ,
               # The data, the trained reference, the kernel environment and the work directory
               # of this checkout, whichever code grades: only the grader's code differs.
               "MNIST_DATA_DIR": os.environ.get("MNIST_DATA_DIR", str(ROOT / "var" / "data" / "mnist")),
               "REFERENCE_MODEL_PATH": os.environ.get("REFERENCE_MODEL_PATH", str(ROOT / "var" / "reference" / "model")),
               "GRADER_KERNEL_VENV": os.environ.get("GRADER_KERNEL_VENV", str(ROOT / ".venv-kernel")),
               "GRADER_WORK_ROOT": os.environ.get("GRADER_WORK_ROOT", str(ROOT / "var" / "work"))}
        env.pop("DATABASE_URL", None)
        self.code_root = code_root
        self.proc = subprocess.Popen([sys.executable, __file__, "--measure", str(code_root), "--notebook", str(notebook_path)],
                                     env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.grade()  # warms caches (imports, the reference network); not counted

    def grade(self) -> dict:
        self.proc.stdin.write("grade\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise SystemExit(f"grading with {self.code_root} failed (see its output above)")
        return json.loads(line)

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait()


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
    """Seconds for a bare `nbconvert --execute`; leaves the executed notebook beside the input."""
    jupyter = ROOT / ".venv-kernel" / "bin" / "jupyter"
    started = time.perf_counter()
    out = subprocess.run([str(jupyter), "nbconvert", "--to", "notebook", "--execute", "--stdout",
                          "--ExecutePreprocessor.timeout=1200", "--allow-errors", str(notebook_path)],
                         # One BLAS thread, as in the sandbox: on a shared machine more only contend.
                         env={**os.environ, "MNIST_DATA_DIR": str(ROOT / "var" / "data" / "mnist"),
                              "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"},
                         check=False, capture_output=True, cwd=notebook_path.parent)
    took = time.perf_counter() - started
    if out.stdout:
        notebook_path.with_suffix(".executed.ipynb").write_bytes(out.stdout)
    return took


# Rendering alone, in the kernel environment, taking turns: nbconvert in a warm process (what
# the worker did in its own process before) against render_page (what the harness does now:
# a fresh renderer process per page, with the cell tracking and the size measure).
RENDER_ALONE = r"""
import json, statistics, sys, time
sys.path.insert(0, sys.argv[1])
import nbformat
import rendering
from nbconvert import HTMLExporter

text = open(sys.argv[2]).read()

def in_process():
    nb = nbformat.reads(text, as_version=4)
    nb.metadata.setdefault("language_info", {})["pygments_lexer"] = "python3"
    HTMLExporter(template_name="classic").from_notebook_node(nb)

def in_renderer():
    outcome, html = rendering.render_page(nbformat.reads(text, as_version=4), 60, 16 << 20)
    assert html is not None, outcome

in_process()
before, after = [], []
for _ in range(int(sys.argv[3])):
    started = time.perf_counter(); in_process(); before.append(time.perf_counter() - started)
    started = time.perf_counter(); in_renderer(); after.append(time.perf_counter() - started)
print(json.dumps({"in_process": statistics.median(before), "in_renderer": statistics.median(after)}))
"""


def render_alone(executed: Path, rounds: int) -> dict:
    python = ROOT / ".venv-kernel" / "bin" / "python"
    out = subprocess.run([str(python), "-c", RENDER_ALONE, str(ROOT / "grader" / "harness"), str(executed), str(rounds)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--notebooks", default="trivial,template,solution")
    parser.add_argument("--before", metavar="REV", help="also grade with the grader as it was at this git revision")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--notebook", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        measure(args.measure, args.notebook)
        return
    before_root = extract(args.before) if args.before else None
    rows = []
    try:
        with tempfile.TemporaryDirectory() as tmp_name:
            for name in args.notebooks.split(","):
                path = Path(tmp_name) / f"{name}.ipynb"
                path.write_bytes(notebook_bytes(name))
                graders = [Grader(ROOT, path)] + ([Grader(before_root, path)] if before_root else [])
                now, then, bares = [], [], []
                for _ in range(args.rounds):  # interleaved, so that the machine's load falls on both alike
                    now.append(graders[0].grade())
                    if before_root:
                        then.append(graders[1].grade())
                    bares.append(bare(path))
                for grader in graders:
                    grader.close()
                renders = [r["render_seconds"] for r in now if r["render_seconds"] is not None]
                after_predict = [r["score_after_predict"] for r in now if r.get("score_after_predict") is not None]
                row = {"name": name, "status": now[-1]["status"], "sandboxed": median_of(now, "score_seconds"),
                       "whole": median_of(now, "seconds"),
                       "render": statistics.median(renders) if renders else None,
                       "after_predict": statistics.median(after_predict) if after_predict else None,
                       "before": median_of(then, "score_seconds") if then else None,
                       "before_whole": median_of(then, "seconds") if then else None,
                       "bare": statistics.median(bares)}
                rows.append(row)
                before = (f", before ({args.before}) {row['before']:.2f} s (the task {row['before_whole']:.2f} s)"
                          if then else "")
                render = f" (of which rendering in the sandbox {row['render']:.2f} s)" if row["render"] is not None else ""
                row["worker"] = median_of(now, "worker") if all(r.get("worker") is not None for r in now) else None
                predict = (f", {row['after_predict']:.3f} s after predict's last answer"
                           + (f" (the worker's part, from reading the result: {row['worker']:.3f} s)"
                              if row["worker"] is not None else "")
                           if row["after_predict"] is not None else "")
                print(f"{name}: {row['status']}; sandboxed grade: score stored after {row['sandboxed']:.2f} s{predict}, "
                      f"the task (with the page) {row['whole']:.2f} s{render}{before}; "
                      f"bare nbconvert --execute {row['bare']:.2f} s", flush=True)
                # Each round's figure, for the spread on a shared machine.
                spread = {"sandboxed": [r.get("score_seconds") or r["seconds"] for r in now], "bare": bares,
                          "score_after_predict": after_predict,
                          **({"before": [r.get("score_seconds") or r["seconds"] for r in then],
                              "before_score_after_predict": [r["score_after_predict"] for r in then
                                                             if r.get("score_after_predict") is not None]}
                             if then else {})}
                print(f"{name}: rounds: " + "; ".join(f"{key} " + " ".join(f"{v:.3f}" for v in values)
                                                      for key, values in spread.items()), flush=True)
                executed = path.with_suffix(".executed.ipynb")
                if executed.exists():
                    alone = render_alone(executed, max(args.rounds, 5))
                    print(f"{name}: rendering alone, in a warm process (as the worker did) {alone['in_process']:.3f} s, "
                          f"in a renderer process of its own (as the harness does) {alone['in_renderer']:.3f} s "
                          f"({alone['in_renderer'] - alone['in_process']:+.3f} s)", flush=True)
    finally:
        if before_root:
            shutil.rmtree(before_root, ignore_errors=True)
    first = rows[0]
    if first["before"] is not None:
        print(f"medians of {args.rounds} interleaved rounds; after/before: "
              + ", ".join(f"{r['name']} {r['sandboxed'] / r['before']:.2f}x ({r['sandboxed'] - r['before']:+.2f} s)" for r in rows))
    tail = f" before_s={first['before']:.3f}" if first["before"] is not None else ""
    if first["after_predict"] is not None:
        tail += f" score_after_predict_s={first['after_predict']:.3f}"
    print(f"overhead_s={first['sandboxed'] - first['bare']:.3f} sandboxed_s={first['sandboxed']:.3f} "
          f"bare_s={first['bare']:.3f} with_page_s={first['whole']:.3f}{tail}")


def median_of(grades: list[dict], key: str) -> float:
    """The median of a figure over rounds (the task's own time where a grader did not say when it stored the score)."""
    return statistics.median(g[key] if g.get(key) is not None else g["seconds"] for g in grades)


if __name__ == "__main__":
    main()
