"""Rendering the executed notebook in a process of its own (grader/harness/render_notebook.py,
driven by rendering.render_page): under a time and size budget, naming the cell at fault,
and still showing the rest of the notebook when one cell cannot be shown."""
import nbformat
import pytest

from tests.support.notebooks import code, stream

WIDGET_VIEW = {"application/vnd.jupyter.widget-view+json": {}}


def executed(*cells):
    nb = nbformat.v4.new_notebook()
    nb.metadata["language_info"] = {"name": "python"}
    nb.cells = list(cells)
    return nb


@pytest.fixture
def render(rendering):
    def run(nb, budget_s=60, max_html_bytes=16 << 20):
        return rendering.render_page(nb, budget_s, max_html_bytes)
    return run


def test_it_renders_the_classic_page_with_python_highlighting(render):
    outcome, html = render(executed(nbformat.v4.new_markdown_cell("# Training"), code("def f(x):\n    return x", stream("42\n"))))
    assert outcome["problem"] is None and not outcome["partial"]
    page = html.decode()
    assert "border-box-sizing" in page  # the classic template, as the site has always shown
    assert 'class="highlight hl-python3"' in page and '<span class="k">def</span>' in page
    assert "<pre>42\n</pre>" in page and '<h1 id="Training">' in page


def test_a_widget_view_without_a_model_id_is_named_and_the_other_cells_still_show(render):
    nb = executed(code("x = 1", stream("before\n")), code("show()", nbformat.v4.new_output("display_data", data=WIDGET_VIEW)),
                  code("y = 2", stream("after\n")))
    outcome, html = render(nb)
    assert (outcome["problem"], outcome["cell"], outcome["detail"]) == ("error", 1, "a widget view without a model_id")
    assert outcome["partial"]
    page = html.decode()
    assert "before" in page and "after" in page
    assert "this cell cannot be displayed: a widget view without a model_id" in page


def test_an_output_that_breaks_the_notebook_format_is_traced_to_its_cell(render):
    bad = nbformat.from_dict({"output_type": "stream", "name": "stdout", "text": 5})
    outcome, _ = render(executed(code("x = 1"), code("y = 2"), code("z = 3", bad)))
    assert outcome["problem"] == "error" and outcome["cell"] == 2
    assert "does not follow the notebook format" in outcome["detail"]


def test_markdown_that_renders_in_quadratic_time_is_stopped_at_the_budget_and_named(render):
    slow = nbformat.v4.new_markdown_cell("[" * 80_000)  # tens of seconds in mistune
    outcome, html = render(executed(code("x = 1"), slow, code("y = 2")), budget_s=4)
    assert outcome["problem"] == "timeout" and outcome["cell"] == 1
    assert outcome["allowed_s"] <= 4
    if html is not None:  # the retry without that cell had time left: the rest shows
        assert b"this cell cannot be displayed: showing it took too long" in html


def test_a_page_past_the_size_limit_names_its_largest_cell(render):
    big = code("print(s)", stream("x" * 200_000))
    outcome, html = render(executed(code("x = 1", stream("small\n")), big), max_html_bytes=400_000)
    assert outcome["problem"] == "too_large" and outcome["cell"] == 1
    assert html is not None and len(html) <= 400_000  # the same page without that cell's output
    assert b"small" in html and b"x" * 1000 not in html


def test_a_notebook_the_renderer_cannot_read_is_reported_not_raised(rendering):
    outcome, html = rendering._render_once(b"{not json", rendering.time.monotonic() + 60, 1 << 20)
    assert outcome["problem"] == "error" and outcome["cell"] is None and html is None
    assert "JSONDecodeError" in outcome["detail"]
