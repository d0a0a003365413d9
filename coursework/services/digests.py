"""Daily digests: for a student who chose them (Profile.email_frequency "daily"), the
notifications of a day arrive as one e-mail instead of one each.

A notification for such a student is made as usual (the inbox shows it at once) but its
e-mail is held (EmailStatus.DIGEST) instead of sent. A beat task, from
NOTIFICATION_DIGEST_HOUR of the site's day on, gathers each such student's held
notifications into that day's Digest row, in one transaction (so a worker dying after it
loses nothing: the row and what it carries are there for the next run), then sends each
digest not yet sent. One digest per student per day (a unique constraint), each claimed by
a conditional UPDATE before it is sent, so running the task twice, or on two workers at
once, sends nothing twice; a send whose worker went silent is tried again after
NOTIFICATION_EMAIL_STALE_S, with the same Message-ID so a copy that did leave is known.
Notifications held after today's digest was made wait for tomorrow's.
"""
from __future__ import annotations

import logging
from datetime import timedelta
from urllib.parse import urlparse

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Now
from django.urls import reverse
from django.utils import timezone

from ..models import Digest, Notification, Profile
from ..states import EmailStatus
from .notifications import one_line

log = logging.getLogger(__name__)

MAX_PER_RUN = 500  # digests sent by one run; the next run sends the rest


def wants_digest(recipient_id: int) -> bool:
    return Profile.objects.filter(user_id=recipient_id, email_frequency=Profile.DAILY).exists()


def gather(now=None) -> list[int]:
    """Make today's digest of every student with held notifications not in one yet (from the
    digest hour on); returns the ids of the digests made."""
    local = timezone.localtime(now or timezone.now())
    if local.hour < settings.NOTIFICATION_DIGEST_HOUR:
        return []
    day = local.date()
    waiting = (Notification.objects.filter(email_status=EmailStatus.DIGEST, digest__isnull=True)
               .values_list("recipient_id", flat=True).distinct())
    made = []
    for recipient_id in list(waiting):
        with transaction.atomic():
            digest, created = Digest.objects.get_or_create(recipient_id=recipient_id, day=day)
            if not created:
                continue  # today's was made (and maybe sent) already: these wait for tomorrow's
            if not Notification.objects.filter(recipient_id=recipient_id, email_status=EmailStatus.DIGEST,
                                               digest__isnull=True).update(digest=digest):
                digest.delete()  # another run took them first
                continue
            made.append(digest.pk)
    return made


def _pause(attempts: int) -> timedelta:
    return timedelta(seconds=min(3600, settings.NOTIFICATION_EMAIL_RETRY_S * 2 ** max(0, attempts - 1)))


def due(now=None) -> list[int]:
    """Digests to send: pending and past their pause after a failure, or sending with a
    worker silent for NOTIFICATION_EMAIL_STALE_S."""
    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.NOTIFICATION_EMAIL_STALE_S)
    rows = Digest.objects.filter(Q(email_status=EmailStatus.PENDING)
                                 | Q(email_status=EmailStatus.SENDING, email_claimed_at__lt=stale))
    out = []
    for pk, status, attempts, claimed in rows.values_list("pk", "email_status", "email_attempts",
                                                          "email_claimed_at")[:MAX_PER_RUN]:
        if status == EmailStatus.PENDING and claimed is not None and claimed + _pause(attempts) > now:
            continue
        out.append(pk)
    return out


def claim(digest_id: int) -> bool:
    """pending (or sending, gone silent) -> sending, one more attempt counted."""
    stale = timezone.now() - timedelta(seconds=settings.NOTIFICATION_EMAIL_STALE_S)
    return bool(Digest.objects.filter(Q(email_status=EmailStatus.PENDING)
                                      | Q(email_status=EmailStatus.SENDING, email_claimed_at__lt=stale),
                                      pk=digest_id).update(email_status=EmailStatus.SENDING, email_claimed_at=Now(),
                                                           email_attempts=F("email_attempts") + 1))


def _finish(digest: Digest, status: str) -> None:
    with transaction.atomic():
        if Digest.objects.filter(pk=digest.pk, email_status=EmailStatus.SENDING).update(
                email_status=status, emailed_at=Now() if status == EmailStatus.SENT else None, email_error=""):
            digest.notifications.update(email_status=status, emailed_at=Now() if status == EmailStatus.SENT else None)


def _failed(digest_id: int, error: str) -> None:
    rows = Digest.objects.filter(pk=digest_id, email_status=EmailStatus.SENDING)
    if rows.filter(email_attempts__gte=settings.NOTIFICATION_EMAIL_MAX_ATTEMPTS).update(
            email_status=EmailStatus.FAILED, email_error=error[:2000]):
        Notification.objects.filter(digest_id=digest_id).update(email_status=EmailStatus.FAILED,
                                                                 email_error=error[:2000])
        return
    rows.update(email_status=EmailStatus.PENDING, email_error=error[:2000])


def body(digest: Digest, items: list[Notification]) -> str:
    lines = [f"What happened in The (deep learning) Basics since your last digest ({len(items)} "
             f"update{'' if len(items) == 1 else 's'}):", ""]
    for n in items:
        link = settings.SITE_URL + n.url if n.url else settings.SITE_URL
        lines += [f"- {one_line(n.title)}", f"  {link}"]
    lines += ["", "You receive one e-mail a day because you chose a daily digest. To get one e-mail per event, or "
              f"none, change your settings: {settings.SITE_URL}{reverse('profile')}"]
    return "\n".join(lines) + "\n"


def send(digest_id: int) -> str:
    """Send one digest if this call claims it; raises nothing (a failure is kept and tried again)."""
    if not claim(digest_id):
        return "not claimed"
    digest = Digest.objects.select_related("recipient__profile").get(pk=digest_id)
    profile = getattr(digest.recipient, "profile", None)
    items = list(digest.notifications.order_by("created_at", "pk"))
    if not items or not digest.recipient.email or (profile is not None and not profile.email_notifications):
        _finish(digest, EmailStatus.SKIPPED)  # e-mail turned off since
        return EmailStatus.SKIPPED
    host = urlparse(settings.SITE_URL).hostname or "localhost"
    message = EmailMessage(
        subject=one_line(f"[Basics] Your daily digest: {len(items)} update{'' if len(items) == 1 else 's'}"),
        body=body(digest, items), to=[digest.recipient.email], headers={"Message-ID": f"<digest-{digest.pk}@{host}>"})
    try:
        message.send(fail_silently=False)
    except Exception as exc:  # the mail server's fault or ours: kept, counted, tried again after a pause
        log.warning("digest %s failed, will try again: %s", digest_id, exc)
        _failed(digest_id, f"{type(exc).__name__}: {exc}")
        return "failed this time"
    _finish(digest, EmailStatus.SENT)
    return EmailStatus.SENT


def run(now=None) -> int:
    """The beat task's work: gather today's digests, send what is due. Returns how many were sent."""
    gather(now)
    return sum(send(pk) == EmailStatus.SENT for pk in due(now))
