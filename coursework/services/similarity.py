"""Pairs of submissions from different students that are suspiciously alike.

Notebooks: code cells are normalised (comments, blank lines and layout dropped,
every identifier renamed to one placeholder, literals kept) and cut into 8-token
shingles. Essays: lower-cased words cut into 5-word shingles. Shingles that come
from the template notebook or the prompts, or that half the class shares, say
nothing about copying and are ignored. Candidate pairs come from an inverted index
of shingles, so the work grows with the number of shared shingles, not with the
square of the class; each candidate is scored by Jaccard similarity.
"""
from __future__ import annotations

import hashlib
import io
import json
import keyword
import re
import tokenize
from collections import defaultdict
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

from django.conf import settings

from ..models import EssayPrompt, EssaySubmission, Submission

CODE_SHINGLE = 8
WORD_SHINGLE = 5
THRESHOLD = 0.5


@dataclass
class Document:
    owner_id: int
    owner_name: str
    ref: tuple[str, int]  # ("submission" | "essays", pk)
    text: str  # what a TA reads side by side
    shingles: set


@dataclass
class Pair:
    a: Document
    b: Document
    score: float
    shared: set


def code_tokens(source: str) -> list[str]:
    """Python source as layout-free tokens with identifiers anonymised."""
    out = []
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type in (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
                              tokenize.ENCODING, tokenize.ENDMARKER):
                continue
            if token.type == tokenize.NAME and not keyword.iskeyword(token.string):
                out.append("ID")
            else:
                out.append(token.string)
    except (tokenize.TokenError, IndentationError, SyntaxError):
        out.extend(re.findall(r"\w+|[^\s\w]", re.sub(r"#.*", "", source)))
    return out


def notebook_code(raw: bytes) -> str:
    try:
        nb = json.loads(raw)
        cells = nb.get("cells", [])
        return "\n\n".join("".join(c["source"]) if isinstance(c.get("source"), list) else c.get("source", "")
                           for c in cells if c.get("cell_type") == "code")
    except (ValueError, AttributeError, TypeError, KeyError):
        return ""


def _shingles(tokens: list[str], k: int) -> set:
    return {hash(tuple(tokens[i:i + k])) for i in range(max(0, len(tokens) - k + 1))}


def stable_shingles(tokens: list[str], k: int = CODE_SHINGLE) -> set[int]:
    """Shingles as 63-bit integers that are the same in every process (hash() of a string is
    salted per process), so they can be stored with a result and compared with later ones."""
    return {int.from_bytes(hashlib.blake2b("\x1f".join(tokens[i:i + k]).encode(), digest_size=8).digest(), "big") >> 1
            for i in range(max(0, len(tokens) - k + 1))}


def word_tokens(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower())


def _pairs(documents: list[Document], ignore: set) -> list[Pair]:
    index = defaultdict(list)
    for n, doc in enumerate(documents):
        for shingle in doc.shingles - ignore:
            index[shingle].append(n)
    common_cap = max(2, len({d.owner_id for d in documents}) // 2)
    candidates = set()
    for holders in index.values():
        owners = {documents[n].owner_id for n in holders}
        if 1 < len(owners) <= common_cap:
            candidates.update((a, b) for a, b in combinations(sorted(holders), 2)
                              if documents[a].owner_id != documents[b].owner_id)
    found = []
    for a, b in candidates:
        sa, sb = documents[a].shingles - ignore, documents[b].shingles - ignore
        union = sa | sb
        score = len(sa & sb) / len(union) if union else 0.0
        if score >= THRESHOLD:
            found.append(Pair(documents[a], documents[b], score, sa & sb))
    return sorted(found, key=lambda p: -p.score)


def person_name(user) -> str:
    profile = getattr(user, "profile", None)
    return profile.display_name if profile else user.get_username()


def _template_ignored() -> set:
    template = Path(settings.BASE_DIR) / "assignments" / "mnist_template.ipynb"
    return _shingles(code_tokens(notebook_code(template.read_bytes())), CODE_SHINGLE) if template.exists() else set()


def _notebook_document(submission) -> Document | None:
    try:
        with submission.notebook.open("rb") as fh:
            code = notebook_code(fh.read())
    except OSError:
        return None
    return Document(submission.student_id, person_name(submission.student), ("submission", submission.pk), code,
                    _shingles(code_tokens(code), CODE_SHINGLE))


def notebook_pairs(assignment) -> list[Pair]:
    """Each student's latest notebook, compared with every other student's."""
    latest = {}
    for s in (Submission.objects.filter(assignment=assignment).select_related("student__profile")
              .order_by("student_id", "-created_at")):
        latest.setdefault(s.student_id, s)
    documents = [d for d in map(_notebook_document, latest.values()) if d is not None]
    return _pairs(documents, _template_ignored())


SOLUTION_NAME = "the course's solution"


def notebook_pair(a, b=None) -> Pair | None:
    """Two notebooks side by side, whatever their score (a flag's evidence is shown even if the
    class-wide list would not show it): b None means the course's released solution."""
    left = _notebook_document(a)
    if b is None:
        solution = Path(settings.BASE_DIR) / "assignments" / "mnist_solution.ipynb"
        code = notebook_code(solution.read_bytes())
        right = Document(0, SOLUTION_NAME, ("solution", 0), code, _shingles(code_tokens(code), CODE_SHINGLE))
    else:
        right = _notebook_document(b)
    if left is None or right is None:
        return None
    ignore = _template_ignored()
    sa, sb = left.shingles - ignore, right.shingles - ignore
    union = sa | sb
    return Pair(left, right, len(sa & sb) / len(union) if union else 0.0, sa & sb)


def essay_pairs() -> list[Pair]:
    """Each student's latest essays (all three together), compared across students."""
    latest = {}
    for e in EssaySubmission.objects.select_related("student__profile").prefetch_related("essays").order_by(
            "student_id", "-version"):
        latest.setdefault(e.student_id, e)
    documents = []
    for e in latest.values():
        text = "\n\n".join(essay.text for essay in e.essays.all())
        documents.append(Document(e.student_id, person_name(e.student), ("essays", e.pk), text,
                                  _shingles(word_tokens(text), WORD_SHINGLE)))
    ignore = set()
    for prompt in EssayPrompt.objects.all():
        ignore |= _shingles(word_tokens(prompt.text), WORD_SHINGLE)
    return _pairs(documents, ignore)


def highlight(text: str, shared: set, kind: str) -> list[tuple[str, bool]]:
    """Split a document into lines, each marked if it takes part in a shared shingle."""
    lines = text.splitlines() or [text]
    marked = []
    for line in lines:
        tokens = code_tokens(line) if kind == "submission" else word_tokens(line)
        k = CODE_SHINGLE if kind == "submission" else WORD_SHINGLE
        hit = bool(_shingles(tokens, min(k, max(len(tokens), 1))) & shared) if len(tokens) >= k else False
        marked.append((line, hit))
    return marked
