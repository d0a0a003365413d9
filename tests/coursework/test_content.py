import pytest

from coursework.models import EssayPrompt, Page, Question, QuestionSet
from coursework.rendering import render_markdown
from coursework.services.content import load_content

pytestmark = pytest.mark.django_db


def test_loading_creates_every_page_question_set_and_prompt():
    report = load_content()
    assert {"overview", "back-to-basics", "technical-project", "non-technical-project", "archive"} <= set(report.created)
    assert QuestionSet.objects.count() == 4
    assert EssayPrompt.objects.count() == 7
    assert Question.objects.filter(answer_check=Question.MSE).count() == 1
    assert Question.objects.filter(answer_check=Question.IS_OR_IS_NOT).count() == 1


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
    assert "<script" not in html and "onerror" not in html and "javascript:" not in html


def test_the_reading_draws_its_two_figures(client):
    load_content()
    page = client.get("/unit/back-to-basics/").content.decode()
    assert page.count("<svg") == 2
    assert "flattened row by row into a vector of 16 numbers: 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 0" in page
    assert "[[figure" not in page


def test_figures_are_not_drawn_from_text_a_user_typed():
    assert "<svg" not in render_markdown("[[figure:network]]")
