import shutil
import uuid
from pathlib import Path

import pytest
from django.conf import settings

from grader import environments
from grader.pipeline import grade_notebook_bytes
from grader.limits import Limits
from tests.support.processes import sandbox_processes


@pytest.fixture
def grade():
    """Grade notebook bytes through the real sandbox, with limits overridden per call."""
    job_dirs = []

    def run(data: bytes, environment: str = environments.DEFAULT, **limits):
        job_dir = Path(settings.GRADER_WORK_ROOT) / f"test-{uuid.uuid4().hex}"
        job_dirs.append(job_dir)
        with environments.using(environment):
            return grade_notebook_bytes(data, job_dir, Limits.from_settings(limits))

    yield run
    for job_dir in job_dirs:
        shutil.rmtree(job_dir, ignore_errors=True)
    assert sandbox_processes() == [], "a sandboxed process outlived its run"


@pytest.fixture(scope="session")
def harness():
    """The harness module, imported the way the sandbox runs it: from its own directory,
    beside payload.py and render_notebook.py. Its functions then run here, unconfined,
    which is what unit tests of them want."""
    import importlib
    import sys

    from grader.sandbox import HARNESS_DIR

    sys.path.insert(0, str(HARNESS_DIR))
    try:
        return importlib.import_module("run_notebook")
    finally:
        sys.path.remove(str(HARNESS_DIR))
