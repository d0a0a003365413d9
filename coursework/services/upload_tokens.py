"""Personal upload tokens: a notebook hands itself in (the template's hand_in cell) with the
same checks, limits and messages as the upload page. A token is shown once, kept only as
its SHA-256 (it is random and long, so a plain hash is enough), scoped to notebook uploads
and revocable; a student has at most MAX_ACTIVE at a time."""
from __future__ import annotations

import hashlib
import secrets

from django.db import transaction
from django.utils import timezone

from ..models import UploadToken

PREFIX = "cw_"
MAX_ACTIVE = 5


class TokenRefused(ValueError):
    """A token that cannot be made, with the reason for the student."""


def _digest(plain: str) -> str:
    return hashlib.sha256(plain.encode()).hexdigest()


def active(user):
    return UploadToken.objects.filter(user=user, revoked_at__isnull=True)


@transaction.atomic
def make(user, name: str) -> tuple[UploadToken, str]:
    """A new token for `user`: (its row, the token itself, which is never shown again)."""
    name = " ".join((name or "").split())[:60] or "notebook"
    if active(user).select_for_update().count() >= MAX_ACTIVE:
        raise TokenRefused(f"You have {MAX_ACTIVE} tokens already: revoke one you no longer use first.")
    plain = PREFIX + secrets.token_urlsafe(32)
    token = UploadToken.objects.create(user=user, name=name, digest=_digest(plain), prefix=plain[:10])
    return token, plain


def revoke(user, pk: int) -> bool:
    """Revoke one of `user`'s own tokens; False if there is no such active token of theirs."""
    return bool(active(user).filter(pk=pk).update(revoked_at=timezone.now()))


def user_for(plain: str):
    """The user an active token belongs to, or None (a revoked, unknown or malformed one)."""
    if not plain.startswith(PREFIX) or len(plain) > 100:
        return None
    token = (UploadToken.objects.select_related("user").filter(digest=_digest(plain), revoked_at__isnull=True)
             .first())
    if token is None or not token.user.is_active:
        return None
    UploadToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    return token.user
