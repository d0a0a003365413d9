"""Claims: a TA who opens a review item holds it for a while, so that two TAs working the same
queue never review the same work. A claim lapses by itself (settings.REVIEW_CLAIM_MINUTES);
saving the review releases it at once."""
from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from ..models import ReviewClaim


def _where(item) -> dict:
    return {"target_type": ContentType.objects.get_for_model(type(item)), "target_id": item.pk}


def claim(item, ta) -> ReviewClaim:
    """Take the item for `ta` (or renew their claim) unless another TA's claim is live, and
    return the claim in force: `ta`'s, or the other TA's."""
    where, now = _where(item), timezone.now()
    until = now + timedelta(minutes=settings.REVIEW_CLAIM_MINUTES)
    # A conditional UPDATE takes a lapsed claim or renews one's own; an INSERT takes a free
    # item; of two TAs racing for it, the unique constraint lets one win and the other
    # reads the winner's claim.
    taken = (ReviewClaim.objects.filter(**where).filter(Q(holder=ta) | Q(expires_at__lte=now))
             .update(holder=ta, claimed_at=now, expires_at=until))
    if not taken:
        try:
            with transaction.atomic():
                ReviewClaim.objects.create(**where, holder=ta, claimed_at=now, expires_at=until)
        except IntegrityError:
            pass
    return ReviewClaim.objects.select_related("holder__profile").get(**where)


def release(item, ta) -> None:
    """Done with it (the review is saved): the item is free at once, not when the claim lapses."""
    ReviewClaim.objects.filter(**_where(item), holder=ta).delete()


def unclaimed_by_others(queryset, ta):
    """The queue without the items another TA holds now."""
    held = ReviewClaim.objects.filter(target_type=ContentType.objects.get_for_model(queryset.model),
                                      target_id=OuterRef("pk"), expires_at__gt=timezone.now()).exclude(holder=ta)
    return queryset.filter(~Exists(held))
