import re

import pytest

from coursework.services.hints import CHECKS

from coursework.models import EssayPrompt, Page, Question, QuestionSet
from coursework.rendering import render_markdown
from coursework.services.content import load_content

pytestmark = pytest.mark.django_db


def test_loading_creates_every_page_question_set_and_prompt():
    report = load_content()
    assert {"overview", "back-to-basics", "technical-project", "non-technical-project", "archive"} <= set(report.created)
    assert QuestionSet.objects.count() == 4
    assert EssayPrompt.objects.count() == 7
    assert Question.objects.filter(answer_check="mse").count() == 1
    assert Question.objects.filter(answer_check="is_or_is_not").count() == 1
    # every check the hints know is used by exactly one question of the unit
    assert sorted(Question.objects.exclude(answer_check="").values_list("answer_check", flat=True)) == sorted(CHECKS)


def test_loading_again_changes_nothing():
    load_content()
    report = load_content()
    assert report.created == [] and report.updated == [] and len(report.unchanged) == Page.objects.count()
    assert Question.objects.count() == 2 + 8 + 6 + 1


def test_a_page_staff_edited_in_the_admin_is_kept_unless_forced():
    load_content()
    Page.objects.filter(slug="overview").update(body="Edited by staff.", source_hash="stale")
    report = load_content()
    assert "overview" in report.kept_staff_edits
    assert Page.objects.get(slug="overview").body == "Edited by staff."
    load_content(force=True)
    assert Page.objects.get(slug="overview").body != "Edited by staff."


def test_markdown_is_sanitised():
    html = render_markdown("**bold** <script>alert(1)</script> <img src=x onerror=alert(1)> [x](javascript:alert(1))")
    assert "<strong>bold</strong>" in html
    assert "<script" not in html and "onerror" not in html
    # markdown-it-py refuses the link and shows what was typed, as text: no href at all.
    assert "href=" not in html and "[x](javascript:alert(1))" in html


def test_the_reading_draws_its_two_figures(client):
    load_content()
    page = client.get("/unit/back-to-basics/").content.decode()
    assert page.count("<svg") == 2
    assert "flattened row by row into a vector of 16 numbers: 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 0" in page
    assert "[[figure" not in page


def test_figures_are_not_drawn_from_text_a_user_typed():
    assert "<svg" not in render_markdown("[[figure:network]]")


def _content_pages():
    from coursework.services.content import CONTENT_DIR, parse

    return [(path.name, parse(path)[1]) for path in sorted(CONTENT_DIR.glob("*.md"))]


@pytest.mark.parametrize("name, body", _content_pages())
def test_every_content_page_renders_its_headings_lists_and_emphasis_with_no_markdown_left_over(name, body):
    # The pages were moved from Python-Markdown to markdown-it-py; their HTML then matched
    # the old output apart from whitespace. This keeps what mattered in that comparison.
    html = str(render_markdown(body, figures=True))
    lines = body.splitlines()
    assert html.count("<h2>") == sum(line.startswith("## ") for line in lines), name
    assert html.count("<h3>") == sum(line.startswith("### ") for line in lines), name
    list_items = sum(bool(re.match(r"(- |\d+\. )", line)) for line in lines)
    assert html.count("<li>") == list_items, name
    assert html.count("<strong>") == body.count("**") // 2, name
    text = re.sub(r"<[^>]+>", " ", re.sub(r"<figure>.*?</figure>", "", html, flags=re.S))
    for leftover in ("**", "[[", "](", "## ", "\n- "):
        assert leftover not in text, (name, leftover)


def test_fenced_code_and_tables_render_as_html():
    html = render_markdown("```python\nx = [1, 2]\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |\n")
    assert "<pre><code>x = [1, 2]\n</code></pre>" in html
    assert "<table>" in html and "<th>a</th>" in html and "<td>2</td>" in html


def test_raw_html_keeps_only_allowed_tags_and_links_cannot_run_script():
    html = render_markdown('H<sub>2</sub>O <b onclick="x()">hi</b> <iframe src=x></iframe> [a](javascript:alert(1)) '
                           '[b](https://example.org "t")')
    assert "H<sub>2</sub>O <b>hi</b>" in html and "onclick" not in html and "<iframe" not in html
    assert 'href="javascript' not in html and 'href="https://example.org"' in html and 'rel="noopener noreferrer"' in html


def test_text_past_the_cap_is_shown_as_plain_text_not_parsed():
    from coursework.rendering import MAX_MARKDOWN_CHARS

    html = render_markdown("a" * MAX_MARKDOWN_CHARS + " **still here** <i>")
    assert "**still here** &lt;i&gt;" in html and "<strong>" not in html
    assert f"Only the first {MAX_MARKDOWN_CHARS:,} characters are formatted" in html


@pytest.mark.parametrize("attack", ["[" * 60_000, "![" * 30_000, "*a **a " * 8_000, "|a" * 15_000 + "|\n" + "|-" * 15_000])
def test_pathological_markdown_renders_without_backtracking(attack):
    # Python-Markdown needed a minute for the first; the bound that matters here is the
    # one the web test holds gunicorn to. This checks the output is the text, escaped.
    html = render_markdown(attack)
    assert html.startswith("<") and len(html) >= len(attack.strip()) // 2


def test_a_question_naming_a_hint_that_does_not_exist_is_refused_with_the_known_ones(tmp_path, settings):
    from coursework.models import Page
    from coursework.services.content import _load_questions

    page = Page.objects.create(slug="p", title="P", kind="video", order=1, body="")
    with pytest.raises(ValueError, match="no hint is registered as 'mse_typo'.*mse"):
        _load_questions(page, [{"text": "What is the loss?", "check": "mse_typo"}], optional=False)
