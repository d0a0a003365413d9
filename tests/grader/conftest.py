import shutil
import uuid
from pathlib import Path

import pytest
from django.conf import settings

from grader.pipeline import grade_notebook_bytes
from grader.sandbox import Limits


def sandbox_processes() -> list[int]:
    """Live (not zombie) processes on the host running as a sandbox uid: there should be none between runs."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                uid = entry.stat().st_uid
                state = (entry / "stat").read_bytes().rsplit(b")", 1)[1].split()[0]
            except (FileNotFoundError, ProcessLookupError):
                continue
            if settings.GRADER_SANDBOX_UID_BASE <= uid < settings.GRADER_SANDBOX_UID_BASE + 30000 and state != b"Z":
                found.append(int(entry.name))
    return found


@pytest.fixture
def grade():
    """Grade notebook bytes through the real sandbox, with limits overridden per call."""
    job_dirs = []

    def run(data: bytes, **limits):
        job_dir = Path(settings.GRADER_WORK_ROOT) / f"test-{uuid.uuid4().hex}"
        job_dirs.append(job_dir)
        return grade_notebook_bytes(data, job_dir, Limits.from_settings(limits))

    yield run
    for job_dir in job_dirs:
        shutil.rmtree(job_dir, ignore_errors=True)
    assert sandbox_processes() == [], "a sandboxed process outlived its run"
