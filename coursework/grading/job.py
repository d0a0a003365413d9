"""Running one grading job: the notebook of a row this attempt has claimed, graded in the
sandbox under its assignment's conditions, screened, and its result stored (store.py)."""
from __future__ import annotations

import logging
import secrets
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from django.conf import settings

from grader import environments
from grader import integrity as grader_integrity
from grader.pipeline import check_notebook_bytes, grade_notebook_bytes
from grader.result import GradeResult

from ..models import Submission
from ..services import integrity, pages, pictures
from .conditions import limits_for
from .store import record_result

log = logging.getLogger(__name__)


def run(submission_id: int, attempt: int) -> str:
    """Grade the notebook of a row this attempt has claimed, and store the result.

    Raises what the task treats as transient (grader.errors.SystemFault, database and
    OS errors); every other ending of the notebook is a stored result."""
    submission = Submission.all_runs.select_related("assignment").get(pk=submission_id)
    # A random name: the sandbox's /proc/self/mountinfo shows where its inputs come from, and
    # a notebook has no business learning its submission id or how often it was tried.
    job_dir = Path(settings.GRADER_WORK_ROOT) / f"job-{secrets.token_hex(8)}"
    log.info("grading submission %s attempt %s in %s", submission_id, attempt, job_dir.name)
    limits = limits_for(submission.assignment)
    try:
        with submission.notebook.open("rb") as fh:
            notebook_bytes = fh.read()
        if submission.is_check:  # a check scores nothing: nothing to screen, and no page owed
            with environments.using(submission.assignment.environment):
                result = check_notebook_bytes(notebook_bytes, job_dir, limits)
            _stored(submission_id, attempt, result, record_result(submission_id, attempt, result))
            return result.status
        # The embedded-data scan (a confined interpreter of its own) needs only the upload:
        # it runs beside the notebook, and the score does not wait for it.
        with ThreadPoolExecutor(1, thread_name_prefix="embedded-scan") as pool:
            scan = pool.submit(grader_integrity.scan_upload, notebook_bytes)
            early = []

            def on_graded(result: GradeResult) -> None:
                # The score, stored and told while the sandbox draws the page.
                result = integrity.screen(result, submission.assignment, notebook_bytes, scan.result())
                early.append(_stored(submission_id, attempt, result,
                                     record_result(submission_id, attempt, result, page_coming=True)))
                if early[0]:
                    _store_pictures(submission_id, attempt, result)

            with environments.using(submission.assignment.environment):
                result = grade_notebook_bytes(notebook_bytes, job_dir, limits, on_graded=on_graded)
            if early:
                if early[0]:
                    pages.store_run_page(submission_id, attempt, result, limits)
                return result.status
            result = integrity.screen(result, submission.assignment, notebook_bytes, scan.result())
            _stored(submission_id, attempt, result, record_result(submission_id, attempt, result))
    finally:
        shutil.rmtree(job_dir, ignore_errors=True)
    return result.status


def _store_pictures(submission_id: int, attempt: int, result: GradeResult) -> None:
    """Never raises: the score is stored, and a page drawn again draws missing pictures too."""
    try:
        pictures.store(submission_id, attempt, result.feedback.scores.confusion, result.feedback.scores.misclassified)
    except Exception:
        log.exception("the pictures of submission %s attempt %s were not stored; drawn with its page later",
                      submission_id, attempt)


def _stored(submission_id: int, attempt: int, result: GradeResult, updated: bool) -> bool:
    if updated:
        # One line per stored result: the reliability scenarios count these.
        log.info("stored result of submission %s attempt %s: %s", submission_id, attempt, result.status)
    return updated
