"""The executed notebook's page of a graded run that could not be drawn in full (the
renderer ran out of time on a busy host, or a cell cannot be shown). The grade stands;
the run's executed notebook is stored, and its page is drawn again later in the sandbox
with a more generous budget (grader.rerender), a bounded number of times, until it is
whole or the reason it cannot be is final. The moves are coursework.states' ("the
executed notebook's page"); the Celery task and its sweeper are in coursework.tasks.
"""
from __future__ import annotations

import logging
import secrets
import shutil
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile

from grader.limits import WALL_BACKSTOP_FACTOR, Limits
from grader.result import GradeResult
from grader.rerender import page_problem, render_again
from grader.runner import HARNESS_GRACE_S

from .. import states
from . import broker, pictures
from ..models import Submission
from ..states import RenderStatus, SubmissionStatus

log = logging.getLogger(__name__)

RENDER_TASK = "coursework.tasks.render_page_again"


def run_page_due_s(limits: Limits) -> float:
    """When the sweeper draws the page of a run whose score is stored, if the run never
    stores its page (its worker died): after the longest the run's own drawing may take."""
    return settings.GRADER_RENDER_RETRY_S + WALL_BACKSTOP_FACTOR * limits.render_timeout_s + HARNESS_GRACE_S


def store_run_page(submission_id: int, attempt: int, result: GradeResult, limits: Limits) -> bool:
    """Store the page a run drew after its score was stored: whole, the page is done; missing
    or partial (drawing took too long, a cell it cannot show, the job was stopped meanwhile),
    it is drawn again as any run's page is (the task now, the sweeper later). The grade is
    not touched, whatever the page. Returns whether it was stored (a regrade, or the
    sweeper's try, may own the page by now). Never raises: the page is owed on the row, so
    a failure here leaves it to the sweeper."""
    try:
        submission = Submission.all_runs.get(pk=submission_id)
        problem = page_problem(result.render, limits)
        fields = {}
        if result.html:  # rendered in the sandbox; stored as it came, never parsed here
            field = submission.executed_html
            fields["executed_html"] = field.storage.save(field.field.generate_filename(
                submission, f"{submission.pk}-{attempt}-notebook.html"), ContentFile(result.html))
        kept_notebook = submission.executed_notebook.name
        if not problem:
            fields["executed_notebook"] = ""  # nothing is drawn from it again
        try:
            updated = states.store_run_page(submission_id, attempt, problem, **fields)
        except BaseException:
            _delete(submission, fields.get("executed_html"))  # rolled back: nothing names it
            raise
    except Exception:
        log.exception("storing the page of submission %s attempt %s failed; the sweeper draws it", submission_id,
                      attempt)
        return False
    if not updated:
        _delete(submission, fields.get("executed_html"))
        return False
    if not problem and kept_notebook:
        submission.executed_notebook.storage.delete(kept_notebook)
    if problem:
        enqueue(submission_id)
    log.info("page of submission %s attempt %s stored from its run%s", submission_id, attempt,
             f" ({problem})" if problem else "")
    return True


def owed(result: GradeResult, limits: Limits) -> str:
    """Why this result's page must be drawn again ("" if it need not): a graded run whose
    page is missing or partial, with the executed notebook to draw it from."""
    if result.status != SubmissionStatus.GRADED or not result.notebook:
        return ""
    return page_problem(result.render, limits)


def enqueue(submission_id: int) -> bool:
    """Send the task that draws the page; with the broker down, the sweeper sends it later."""
    return broker.send_or_leave(RENDER_TASK, submission_id, "the page of submission")


def draw_again(submission_id: int, attempt: int, render_attempt: int) -> str:
    """Draw the page of a row this try has claimed, from its stored executed notebook, and
    store the page, or why it is still missing or partial. Returns how the try ended.
    Raises what goes wrong that is not the notebook's (grader.errors.SystemFault, database
    and OS errors): the task then counts the try and leaves the reason as it was."""
    submission = Submission.all_runs.select_related("assignment").get(pk=submission_id)
    limits = Limits.from_settings(submission.assignment.limits)
    if pictures.missing(submission):  # its worker died after the score, before drawing them
        pictures.store(submission_id, attempt, submission.feedback["confusion"],
                       submission.feedback.get("misclassified") or [])
    with submission.executed_notebook.open("rb") as fh:
        notebook_json = fh.read().decode()
    job_dir = Path(settings.GRADER_WORK_ROOT) / f"job-{secrets.token_hex(8)}"  # random, as a run's
    log.info("drawing the page of submission %s again (try %s) in %s", submission_id, render_attempt, job_dir.name)
    try:
        page = render_again(notebook_json, job_dir, limits)
    finally:
        shutil.rmtree(job_dir, ignore_errors=True)
    # A refused cell or a page too large would be refused again; a timeout or a renderer
    # that died may pass on a quieter host, so it waits for the next try (if any is left).
    outcome = RenderStatus.DONE if page.whole else RenderStatus.FAILED if page.lasting else RenderStatus.PENDING
    fields, old_page = {}, submission.executed_html.name
    if page.html is not None:  # whole, or the rest of the notebook around the cells at fault
        field = submission.executed_html
        fields["executed_html"] = field.storage.save(field.field.generate_filename(
            submission, f"{submission.pk}-{attempt}-page{render_attempt}-notebook.html"), ContentFile(page.html))
    try:
        updated = states.finish_render(submission_id, attempt, render_attempt, outcome, page.problem, **fields)
    except BaseException:
        _delete(submission, fields.get("executed_html"))  # rolled back: nothing names it
        raise
    if not updated:  # a regrade, or the sweeper's next try, owns the page now
        _delete(submission, fields.get("executed_html"))
        return "not stored (the page is no longer this try's)"
    if fields and old_page:
        _delete(submission, old_page)  # the partial page it replaces: nothing names it now
    outcome = Submission.all_runs.values_list("render_status", flat=True).get(pk=submission_id)  # the last try fails
    log.info("page of submission %s after try %s: %s %s", submission_id, render_attempt, outcome, page.problem)
    return outcome


def _delete(submission: Submission, name: str | None) -> None:
    if name:
        submission.executed_html.storage.delete(name)
