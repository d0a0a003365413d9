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


def _harness_module(name: str):
    """A module of the harness, imported the way the sandbox runs it: from its own directory,
    beside protocol.py and payload.py. Its functions then run here, unconfined, which is
    what unit tests of them want."""
    import importlib
    import sys

    from grader.sandbox import HARNESS_DIR

    sys.path.insert(0, str(HARNESS_DIR))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(str(HARNESS_DIR))


@pytest.fixture(scope="session")
def trimming():
    return _harness_module("trimming")


@pytest.fixture(scope="session")
def asking():
    return _harness_module("asking")


@pytest.fixture(scope="session")
def rendering():
    return _harness_module("rendering")
