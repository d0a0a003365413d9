"""Time-boxed fuzz: whatever a student types or uploads, extract_text answers with text or
EssayError and render_markdown with HTML, never another exception."""
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coursework.rendering import render_markdown
from coursework.services.essays import EssayError, extract_text, meaningful_word_count
from tests.support.documents import docx_bytes, pdf_bytes

# Every .docx/.pdf example starts a confined child (a fraction of a second), so few of them.
FUZZ = settings(max_examples=12, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow])
MARKDOWN = st.lists(st.sampled_from(list("[]()!*_`#>-|\\<>&;:/ \n\tax1") + ["<script>", "](javascript:", "```", "<sub>"]),
                    max_size=200).map("".join)


def answers_cleanly(name: str, data: bytes) -> None:
    try:
        assert isinstance(extract_text(name, data), str)
    except EssayError as exc:
        assert str(exc)


def mutate(data: bytes, draw) -> bytes:
    raw = bytearray(data)
    for _ in range(draw(st.integers(1, 12))):
        raw[draw(st.integers(0, len(raw) - 1))] = draw(st.integers(0, 255))
    if draw(st.booleans()):
        raw = raw[: draw(st.integers(1, len(raw)))]
    return bytes(raw)


@pytest.mark.parametrize("name, valid", [("essay.docx", docx_bytes("Layered networks learn.")),
                                         ("essay.pdf", pdf_bytes("Layered networks learn features."))])
@FUZZ
@given(data=st.data())
def test_a_mutated_document_ends_in_text_or_an_essay_error(name, valid, data):
    answers_cleanly(name, mutate(valid, data.draw))


@pytest.mark.parametrize("name", ["essay.txt", "essay.md"])
@settings(max_examples=150, deadline=None, derandomize=True, database=None)
@given(data=st.binary(max_size=3_000) | st.text(max_size=1_000).map(lambda t: t.encode("utf-16")))
def test_any_bytes_as_a_text_essay_end_in_text_or_an_essay_error(name, data):
    answers_cleanly(name, data)


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(MARKDOWN | st.text(max_size=400))
def test_any_text_renders_to_sanitised_html_and_a_word_count(text):
    html = render_markdown(text)
    assert "<script" not in html and "javascript:" not in html.split("href=")[-1][:12]
    assert meaningful_word_count(text, text[:40]) >= 0
