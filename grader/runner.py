"""Preparing a work directory and running the harness on it in a child process."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
from django.conf import settings

from .data import public_data_dir
from .errors import SystemFault

HARNESS_SCRIPT = Path(__file__).parent / "harness" / "run_notebook.py"


@dataclass
class RunOutcome:
    result: dict  # what the harness wrote to result.json
    workdir: Path
    wall_seconds: float
    peak_memory_mb: float
    timed_out: bool
    log: str


def prepare_workdir(workdir: Path, notebook_bytes: bytes, images: np.ndarray, cell_timeout_s: int) -> None:
    if workdir.exists():
        shutil.rmtree(workdir)
    (workdir / ".harness").mkdir(parents=True)
    (workdir / "submission.ipynb").write_bytes(notebook_bytes)
    np.save(workdir / ".harness" / "images.npy", images, allow_pickle=False)
    (workdir / ".harness" / "config.json").write_text(json.dumps({"cell_timeout_s": cell_timeout_s}))


def kernel_environment() -> dict[str, str]:
    """A cleared environment: nothing of the site's (secrets, DATABASE_URL) reaches the notebook."""
    kernel_bin = str(Path(settings.GRADER_KERNEL_PYTHON).parent)
    return {
        "PATH": f"{kernel_bin}:/usr/bin:/bin",
        "HOME": "/tmp",
        "LANG": "C.UTF-8",
        "MNIST_DATA_DIR": str(public_data_dir()),
        "MPLBACKEND": "Agg",
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        "JUPYTER_PLATFORM_DIRS": "1",
    }


def run_harness(workdir: Path, total_timeout_s: int, heartbeat: Callable[[], None], heartbeat_every_s: float = 10) -> RunOutcome:
    """Run the harness on workdir; kill the whole process group at the total timeout."""
    python = settings.GRADER_KERNEL_PYTHON
    if not Path(python).exists():
        raise SystemFault(f"The kernel environment is missing ({python}); run `make kernel-venv`.")
    log_path = workdir / "harness.log"
    started = time.monotonic()
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [python, str(HARNESS_SCRIPT), str(workdir)],
            cwd=workdir,
            env=kernel_environment(),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so a kill reaches the kernel too
        )
        timed_out = False
        last_beat = started
        while proc.poll() is None:
            now = time.monotonic()
            if now - started > total_timeout_s:
                timed_out = True
                break
            if now - last_beat >= heartbeat_every_s:
                heartbeat()
                last_beat = now
            time.sleep(0.05)
        _kill_group(proc)
    wall = time.monotonic() - started
    result_path = workdir / "result.json"
    result = json.loads(result_path.read_text()) if result_path.exists() and not timed_out else {}
    return RunOutcome(
        result=result,
        workdir=workdir,
        wall_seconds=wall,
        peak_memory_mb=float(result.get("peak_memory_mb") or 0.0),
        timed_out=timed_out,
        log=log_path.read_text(errors="replace")[-20000:],
    )


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()
