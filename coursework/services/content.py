"""Loading the unit's Markdown files from content/ into pages, question sets and essay prompts."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import yaml
from django.conf import settings
from django.db import transaction

from ..models import EssayPrompt, Page, Question, QuestionSet
from .hints import CHECKS

CONTENT_DIR = settings.BASE_DIR / "content"


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def parse(path: Path) -> tuple[dict, str]:
    """Split a content file into its YAML front matter and its Markdown body."""
    text = path.read_text(encoding="utf-8")
    if not text.startswith("---\n"):
        raise ValueError(f"{path}: a content file starts with '---' and a YAML header")
    header, body = text[4:].split("\n---\n", 1)
    return yaml.safe_load(header), body.strip() + "\n"


@dataclass
class LoadReport:
    created: list[str]
    updated: list[str]
    unchanged: list[str]
    kept_staff_edits: list[str]


@transaction.atomic
def load_content(directory: Path = CONTENT_DIR, force: bool = False) -> LoadReport:
    """Create or update every page from its file. A page whose body staff edited in the
    admin since it was loaded is left alone (unless force), so running this again is safe."""
    report = LoadReport([], [], [], [])
    for path in sorted(directory.glob("*.md")):
        meta, body = parse(path)
        source_hash = _sha(path.read_text(encoding="utf-8"))
        page = Page.objects.filter(slug=meta["slug"]).first()
        if page and page.source_hash == source_hash and not force:
            report.unchanged.append(page.slug)
            continue
        if page and page.loaded_body_hash and _sha(page.body) != page.loaded_body_hash and not force:
            report.kept_staff_edits.append(page.slug)
            continue
        fields = {
            "title": meta["title"], "kind": meta["kind"], "order": meta.get("order", 0), "body": body,
            "video_url": meta.get("video_url", ""), "video_minutes": meta.get("video_minutes"),
            "source_hash": source_hash, "loaded_body_hash": _sha(body),
        }
        page, created = Page.objects.update_or_create(slug=meta["slug"], defaults=fields)
        (report.created if created else report.updated).append(page.slug)
        if "questions" in meta:
            _load_questions(page, meta["questions"], optional=meta.get("optional", False))
        if "prompts" in meta:
            for order, text in enumerate(meta["prompts"], start=1):
                EssayPrompt.objects.update_or_create(order=order, defaults={"text": text})
    return report


def _load_questions(page: Page, questions: list[dict], optional: bool) -> None:
    question_set, _ = QuestionSet.objects.update_or_create(page=page, defaults={"optional": optional})
    for order, item in enumerate(questions, start=1):
        if item.get("check", "") not in ("", *CHECKS):
            # A misspelt check would leave the question without its hints, silently.
            raise ValueError(f"{page.slug}, question {order}: no hint is registered as {item['check']!r} "
                             f"(coursework/services/hints.py has {', '.join(sorted(CHECKS))})")
        Question.objects.update_or_create(
            question_set=question_set, order=order,
            defaults={"text": item["text"], "bonus": item.get("bonus", False), "answer_check": item.get("check", "")},
        )
    # Questions dropped from the file go, unless someone already answered them.
    question_set.questions.filter(order__gt=len(questions), answer__isnull=True).delete()
