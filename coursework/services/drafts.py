"""What someone typed into a form and has not handed in yet, kept on the server as they type.

One mechanism for every form people write in at length: a TA's review pane, a student's
essays and appeals. (Synthesis answers are drafts in their own right: a SynthesisResponse
whose status is draft.) A draft belongs to one person and one thing written about (the
work reviewed or appealed, or the task written for); handing the form in discards it.

The model is ReviewDraft, named after its first use: its `reviewer` is whoever typed.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from ..models import ReviewDraft

FIELD_LIMIT = 60000  # the longest field any drafted form accepts (an essay)
FIELDS_LIMIT = 200


def save(author, target, fields: Mapping[str, str], keep: Callable[[str], bool]) -> ReviewDraft:
    """Keep `fields` (those whose name `keep` accepts, each cut to FIELD_LIMIT) as the
    author's draft of `target`, replacing the one before."""
    kept = {k: str(v)[:FIELD_LIMIT] for k, v in list(fields.items())[:FIELDS_LIMIT] if keep(k)}
    draft, _ = ReviewDraft.objects.update_or_create(
        reviewer=author, target_type=ContentType.objects.get_for_model(target), target_id=target.pk,
        defaults={"fields": kept, "saved_at": timezone.now()})
    return draft


def latest(author, target, handed_in_at: datetime | None = None) -> ReviewDraft | None:
    """The author's draft of `target`, unless what was handed in since is newer."""
    if target is None or author is None or not author.is_authenticated:
        return None
    draft = ReviewDraft.objects.filter(reviewer=author, target_type=ContentType.objects.get_for_model(target),
                                       target_id=target.pk).first()
    if draft and handed_in_at and draft.saved_at < handed_in_at:
        return None
    return draft


def discard(author, target) -> None:
    if target is not None:
        ReviewDraft.objects.filter(reviewer=author, target_type=ContentType.objects.get_for_model(target),
                                   target_id=target.pk).delete()
