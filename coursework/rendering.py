"""Markdown to safe HTML. Staff write the content, but the same function renders what
students type (essay previews, on every pause in typing), so everything is sanitised
with nh3 and the parser must stay linear on hostile text.

markdown-it-py follows CommonMark, whose reference algorithms are linear: "[" x 60,000
renders in well under a second, where Python-Markdown took a minute (backtracking
regular expressions over the whole text for every bracket).
"""
from __future__ import annotations

import functools
import re

import nh3
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

from .figures import FIGURES

ALLOWED_TAGS = {"a", "abbr", "b", "blockquote", "br", "code", "em", "h2", "h3", "h4", "hr", "i", "li", "ol",
                "p", "pre", "strong", "sub", "sup", "table", "tbody", "td", "th", "thead", "tr", "ul"}
FIGURE = re.compile(r"<p>\[\[figure:([a-z]+)\]\]</p>")
# The longest essay the form accepts (EssaySlotForm.text). Every Markdown construct parses
# in linear time, but the constant is not small: the worst input we found ("![" repeated)
# costs about 11 microseconds a character, so this cap keeps any single render well under
# a second (benchmarks/parsers.py prints the figures). Content pages are under 5,000.
MAX_MARKDOWN_CHARS = 60_000

# CommonMark (fenced code included) plus GFM tables, as Python-Markdown's "tables" and
# "fenced_code" gave before. Inline HTML is parsed, as it was, and left to nh3: the allowed
# tags include some only raw HTML can make (sub, sup, abbr). CommonMark's HTML *blocks* are
# off: a line starting "<script>" would swallow the Markdown after it on that line, where
# Python-Markdown formatted it. "linkify" and "typographer" stay off (the regex-heavy
# parts), and the preset's nesting limit (20) stays on.
_PARSER = MarkdownIt("commonmark", {"html": True}).enable("table").disable("html_block")


@functools.lru_cache(maxsize=64)
def render_page_markdown(text: str, figures: bool = False) -> SafeString:
    """render_markdown for the unit's own pages, kept per process: every visitor reads the same
    few pages, and rendering one costs more than the rest of its request (an edited page is
    new text, so it is rendered afresh). Not for student text, which is rarely read twice."""
    return render_markdown(text, figures)


def render_markdown(text: str, figures: bool = False) -> SafeString:
    text = text or ""
    rest = ""
    if len(text) > MAX_MARKDOWN_CHARS:
        # Shown, not parsed: nothing the person typed disappears from the page.
        rest = (f"<p><em>Only the first {MAX_MARKDOWN_CHARS:,} characters are formatted; the rest follows as "
                f"plain text.</em></p><pre>{escape(text[MAX_MARKDOWN_CHARS:])}</pre>")
        text = text[:MAX_MARKDOWN_CHARS]
    html = _PARSER.render(text) + rest
    clean = nh3.clean(html, tags=ALLOWED_TAGS, attributes={"a": {"href", "title"}}, link_rel="noopener noreferrer")
    if figures:
        # Our own SVG, added after sanitising (nh3 would rightly strip it from user text).
        clean = FIGURE.sub(lambda m: f'<figure>{FIGURES[m.group(1)]()}</figure>' if m.group(1) in FIGURES else "", clean)
    return mark_safe(clean)
