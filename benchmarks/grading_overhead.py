"""What the sandbox and scoring add to running a notebook.

For a trivial notebook, alternately: (a) a full sandboxed grade through the Celery
task body (claim the row, build inputs, run the harness in bubblewrap, score, render
the feedback, store it), and (b) a bare `jupyter nbconvert --execute` of the same
notebook with the same kernel environment. Prints both medians and the difference.

    python benchmarks/grading_overhead.py [--rounds 7]

Last line: overhead_s=D sandboxed_s=S bare_s=B
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
TRIVIAL = "import numpy as np\n\ndef predict(images):\n    return np.zeros(len(images), dtype=int)"


def setup_django(tmp: Path) -> None:
    os.environ["DATABASE_URL"] = f"sqlite:///{tmp / 'bench.sqlite3'}"
    os.environ["MEDIA_ROOT"] = str(tmp / "media")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def bare_kernelspec(tmp: Path) -> Path:
    """A kernelspec that starts the grader's kernel environment, for nbconvert to use unconfined."""
    from django.conf import settings

    spec_dir = tmp / "jupyter" / "kernels" / "grader-kernel"
    spec_dir.mkdir(parents=True)
    python = str(Path(settings.GRADER_KERNEL_VENV) / "bin" / "python")
    (spec_dir / "kernel.json").write_text(json.dumps({
        "argv": [python, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "grader kernel", "language": "python",
    }))
    return tmp / "jupyter"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        setup_django(tmp)
        from django.core.files.base import ContentFile

        from coursework.models import Assignment, Submission
        from django.contrib.auth.models import User
        from grader.reference import reference_summary
        from coursework.tasks import grade_submission
        from tests.support.notebooks import notebook

        data = notebook(TRIVIAL)
        nb_path = tmp / "trivial.ipynb"
        nb_path.write_bytes(data)
        jupyter_path = bare_kernelspec(tmp)
        student = User.objects.create_user("bench")
        assignment = Assignment.objects.create(slug="mnist", title="MNIST")
        reference_summary()  # loaded once per worker process, not per grade
        bare_env = {**os.environ, "JUPYTER_PATH": str(jupyter_path)}
        jupyter = str(Path(sys.executable).parent / "jupyter")

        sandboxed, bare = [], []
        for round_ in range(args.rounds + 1):  # round 0 warms caches and is not counted
            submission = Submission(assignment=assignment, student=student, original_name="trivial.ipynb")
            submission.notebook.save("trivial.ipynb", ContentFile(data), save=False)
            submission.save()
            started = time.perf_counter()
            status = grade_submission.apply(args=[submission.pk]).get()
            s = time.perf_counter() - started
            assert status == "graded", Submission.objects.get(pk=submission.pk).message

            started = time.perf_counter()
            subprocess.run([jupyter, "nbconvert", "--to", "notebook", "--execute", "--stdout",
                            "--ExecutePreprocessor.kernel_name=grader-kernel", str(nb_path)],
                           env=bare_env, check=True, capture_output=True)
            b = time.perf_counter() - started
            if round_:
                sandboxed.append(s)
                bare.append(b)
                print(f"round {round_}: sandboxed grade {s:.3f} s, bare nbconvert --execute {b:.3f} s", flush=True)
        s, b = statistics.median(sandboxed), statistics.median(bare)
        print(f"median: sandboxed {s:.3f} s, bare {b:.3f} s, overhead {s - b:+.3f} s")
        print(f"overhead_s={s - b:.3f} sandboxed_s={s:.3f} bare_s={b:.3f}")


if __name__ == "__main__":
    main()
