"""A graded run's page drawn again later from the executed notebook it stored
(grader/rerender.py): the same renderer in the same sandbox, with a larger budget."""
import json
import shutil
import uuid
from pathlib import Path

import nbformat
import pytest
from django.conf import settings

from grader.limits import Limits
from grader.rerender import render_again

from tests.support.processes import sandbox_processes

from tests.support.notebooks import code, stream

WIDGET_VIEW = {"application/vnd.jupyter.widget-view+json": {}}


def stored(*cells) -> str:
    """An executed notebook as a graded run stores it: compact JSON."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["language_info"] = {"name": "python"}
    nb.cells = list(cells)
    return json.dumps(nb, ensure_ascii=False, separators=(",", ":"))


@pytest.fixture
def rerender():
    job_dirs = []

    def run(notebook_json: str, **limits):
        job_dir = Path(settings.GRADER_WORK_ROOT) / f"test-{uuid.uuid4().hex}"
        job_dirs.append(job_dir)
        return render_again(notebook_json, job_dir, Limits.from_settings(limits))

    yield run
    for job_dir in job_dirs:
        shutil.rmtree(job_dir, ignore_errors=True)
    assert sandbox_processes() == [], "a sandboxed process outlived its run"


def test_markdown_too_slow_for_a_runs_budget_is_drawn_whole_with_the_larger_one(rerender):
    slow = nbformat.v4.new_markdown_cell("[" * 5_000)  # about a second in mistune: more than a 1 s budget
    # The sandbox runs at nice 19: on a host busy with other work the page may take minutes.
    page = rerender(stored(code("x = 1", stream("before\n")), slow), rerender_timeout_s=600)
    assert page.whole and page.problem == "", page.render
    assert b"before" in page.html and b"[[[[" in page.html and b"cannot be displayed" not in page.html


def test_a_cell_the_renderer_cannot_show_is_named_in_the_runs_words_and_the_rest_still_shows(rerender):
    view = code("show()", nbformat.v4.new_output("display_data", data=WIDGET_VIEW))
    page = rerender(stored(code("x = 1", stream("before\n")), view, code("y = 2", stream("after\n"))))
    assert not page.whole and page.lasting  # trying again would refuse the same cell
    assert page.problem == "Cell 2 has an output the grader cannot display: a widget view without a model_id."
    assert b"before" in page.html and b"after" in page.html and b"this cell cannot be displayed" in page.html


def test_markdown_too_slow_even_for_the_larger_budget_is_named_and_may_be_tried_again(rerender):
    slow = nbformat.v4.new_markdown_cell("[" * 80_000)  # tens of seconds in mistune
    page = rerender(stored(code("x = 1"), slow), rerender_timeout_s=8)
    assert not page.whole and not page.lasting  # a quieter host may do better
    assert page.render["problem"] == "timeout"
    assert "could not be displayed: showing it took longer than 6 seconds" in page.problem, page.problem
    if page.render["cell"] is not None:  # a host too busy to import nbconvert in time reaches no cell
        assert page.problem.startswith("Cell 2 could not be displayed"), page.problem
