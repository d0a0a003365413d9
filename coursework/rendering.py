"""Markdown to safe HTML. Staff write the content, but the same function renders what
students type (essay previews), so everything is sanitised with nh3."""
from __future__ import annotations

import functools
import re

import markdown
import nh3
from django.utils.safestring import SafeString, mark_safe

from .figures import FIGURES

ALLOWED_TAGS = {"a", "abbr", "b", "blockquote", "br", "code", "em", "h2", "h3", "h4", "hr", "i", "li", "ol",
                "p", "pre", "strong", "sub", "sup", "table", "tbody", "td", "th", "thead", "tr", "ul"}
FIGURE = re.compile(r"<p>\[\[figure:([a-z]+)\]\]</p>")


@functools.lru_cache(maxsize=64)
def render_page_markdown(text: str, figures: bool = False) -> SafeString:
    """render_markdown for the unit's own pages, kept per process: every visitor reads the same
    few pages, and rendering one costs more than the rest of its request (an edited page is
    new text, so it is rendered afresh). Not for student text, which is rarely read twice."""
    return render_markdown(text, figures)


def render_markdown(text: str, figures: bool = False) -> SafeString:
    html = markdown.markdown(text, extensions=["tables", "fenced_code", "sane_lists"])
    clean = nh3.clean(html, tags=ALLOWED_TAGS, attributes={"a": {"href", "title"}}, link_rel="noopener noreferrer")
    if figures:
        # Our own SVG, added after sanitising (nh3 would rightly strip it from user text).
        clean = FIGURE.sub(lambda m: f'<figure>{FIGURES[m.group(1)]()}</figure>' if m.group(1) in FIGURES else "", clean)
    return mark_safe(clean)
