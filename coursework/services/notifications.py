"""Notifications: what a student should hear about (a notebook graded or failed, a review
posted, a resubmission requested, a flag decided, an appeal answered), in their inbox and
by e-mail.

Each event makes one Notification row, in the same transaction as the change it tells of,
named by an event key that is unique: telling the same event twice makes nothing new. The
row is also the e-mail's outbox: after commit a Celery task claims it (coursework.states)
and sends it through Django's e-mail framework; a failure leaves it pending for the
sweeper to try again later, so a mail server that is down delays e-mail and breaks no page.
"""
from __future__ import annotations

import logging
import unicodedata
from urllib.parse import urlparse

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from .. import states
from . import broker, credit
from ..models import EssaySubmission, Notification, Profile, Submission, SynthesisResponse
from ..states import EmailStatus, FlagDecision, ReviewStatus

log = logging.getLogger(__name__)

SEND_TASK = "coursework.tasks.send_notification_email"


def notify(recipient, kind: str, event_key: str, title: str, body: str = "", url: str = "") -> Notification | None:
    """Tell `recipient` of an event, once; call inside the transaction that makes the event.
    Returns the new notification, or None if this event was already told."""
    wants_email, frequency = Profile.objects.filter(user=recipient).values_list(
        "email_notifications", "email_frequency").first() or (None, Profile.EACH)
    email = EmailStatus.PENDING if recipient.email and wants_email is not False else EmailStatus.SKIPPED
    if email == EmailStatus.PENDING and frequency == Profile.DAILY:
        email = EmailStatus.DIGEST  # sent with the day's others (coursework.services.digests)
    notification, created = Notification.objects.get_or_create(event_key=event_key[:150], defaults={
        "recipient": recipient, "kind": kind, "title": title[:200], "body": body, "url": url,
        # The task sent after commit delivers it at once; the sweeper only steps in if that message is lost.
        "email_status": email, "email_next_try_at": timezone.now() + _grace()})
    if not created:
        return None
    if email == EmailStatus.PENDING:
        transaction.on_commit(lambda: enqueue_email(notification.pk))
    return notification


def _grace():
    from datetime import timedelta

    return timedelta(seconds=settings.NOTIFICATION_EMAIL_RETRY_S)


def enqueue_email(notification_id: int) -> bool:
    """Send the e-mail task; with the broker down, the sweeper sends it once the broker is back."""
    return broker.send_or_leave(SEND_TASK, notification_id, "the e-mail of notification")


def one_line(text: str) -> str:
    """`text` with its line breaks and other control characters as spaces: a header with a
    line break raises BadHeaderError, and a title can hold what a student typed (an
    appeal's names its student), so one such name stopped every retry of the e-mail."""
    return " ".join("".join(" " if unicodedata.category(c)[0] == "C" else c for c in text).split())


def deliver(notification_id: int) -> str:
    """Send one claimed notification's e-mail; raises what the mail backend raises."""
    n = Notification.objects.select_related("recipient__profile").get(pk=notification_id)
    profile = getattr(n.recipient, "profile", None)
    if not n.recipient.email or (profile is not None and not profile.email_notifications):
        states.email_skipped(n.pk)  # turned off after the event
        return EmailStatus.SKIPPED
    link = settings.SITE_URL + n.url if n.url else settings.SITE_URL
    text = (f"{n.body}\n\n" if n.body else "") + (
        f"See it here: {link}\n\n"
        f"You receive these e-mails because of your work in The (deep learning) Basics. To stop them, untick "
        f"e-mail notifications in your settings: {settings.SITE_URL}{reverse('profile')}\n")
    host = urlparse(settings.SITE_URL).hostname or "localhost"
    message = EmailMessage(subject=one_line(f"[Basics] {n.title}"), body=text, to=[n.recipient.email],
                           headers={"Message-ID": f"<notification-{n.pk}@{host}>"})
    message.send(fail_silently=False)
    states.email_sent(n.pk)
    return EmailStatus.SENT


# --- the inbox ------------------------------------------------------------------------


def unread_count(user) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def inbox(user, limit: int = 100):
    return list(Notification.objects.filter(recipient=user)[:limit])


def open_notification(user, pk: int) -> Notification:
    """Mark one of the user's notifications read and return it (DoesNotExist for anyone else's)."""
    notification = Notification.objects.get(pk=pk, recipient=user)
    if notification.read_at is None:
        Notification.objects.filter(pk=pk, read_at__isnull=True).update(read_at=timezone.now())
    return notification


def mark_all_read(user) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(read_at=timezone.now())


# --- the events -------------------------------------------------------------------------


def describe(item) -> tuple[str, str]:
    """What a piece of work is called for its student, and the page that shows it."""
    if isinstance(item, SynthesisResponse):
        page = item.question_set.page
        return f"your answers on \u201c{page.title}\u201d", reverse("question_set", args=[page.slug])
    if isinstance(item, EssaySubmission):
        return f"your essays (version {item.version})", reverse("essays")
    return f"your notebook {item.original_name} (#{item.pk})", reverse("submission_detail", args=[item.pk])


def notebook_finished(submission: Submission, attempt: int) -> Notification | None:
    what, url = describe(submission)
    if submission.status == states.SubmissionStatus.GRADED and submission.public_accuracy is not None:
        # The public half: a notification is kept (and e-mailed) as sent, maybe long before the reveal.
        return notify(submission.student, Notification.GRADED, f"graded:submission-{submission.pk}:attempt-{attempt}",
                      f"{what[0].upper()}{what[1:]} was graded: {submission.public_accuracy * 100:.2f}% on the public "
                      "half of the test set",
                      "Your notebook ran to the end and its predictions were scored on the MNIST test set. The "
                      "feedback page has its figures and the images it got wrong.", url)
    first_line = (submission.message or "").strip().splitlines()[:1]
    return notify(submission.student, Notification.FAILED, f"failed:submission-{submission.pk}:attempt-{attempt}",
                  f"{what[0].upper()}{what[1:]} did not finish", (first_line[0] if first_line else "") +
                  "\n\nThe feedback page says where it stopped; fix it and upload it again.", url)


def review_posted(item) -> Notification | None:
    what, url = describe(item)
    key = f"review:{type(item).__name__.lower()}-{item.pk}:v{item.review_version}"
    if item.status == ReviewStatus.RESUBMIT:
        due = (f" by {date_format(timezone.localtime(item.resubmit_by), 'D j M Y, H:i T')}: until then it counts as "
               "handed in when the version sent back was" if item.resubmit_by else "")
        return notify(item.student, Notification.RESUBMIT, key, f"Your TA asks you to resubmit {what}",
                      f"Read their comments, revise your work and submit it again{due}.", url)
    figure = credit.for_item(item)
    if figure is None:
        title = f"Your TA reviewed {what}"
    else:
        title = f"Your TA reviewed {what}: {credit.in_words(figure)}"[:200]
    return notify(item.student, Notification.REVIEWED, key, title,
                  "Each criterion's points and your TA's comments are on the page.", url)


def flag_decided(submission: Submission) -> Notification | None:
    what, url = describe(submission)
    counts = submission.flag_resolution == FlagDecision.CLEARED
    return notify(submission.student, Notification.FLAG,
                  f"flag:submission-{submission.pk}:{submission.flag_resolved_at.isoformat()}",
                  f"A TA checked {what}: it {'counts' if counts else 'does not count'}",
                  "The grader had set it aside for a person to look at. " +
                  ("It now counts toward your grade and the leaderboard." if counts else
                   "It does not count toward your grade or the leaderboard; you may appeal from its page."), url)


def appeal_filed(appeal) -> Notification | None:
    """Tell the TA of the student's group (if it has one) that an appeal waits in their queue."""
    group = getattr(getattr(appeal.student, "profile", None), "group", None)
    if group is None or group.ta is None:
        return None
    who = getattr(appeal.student.profile, "display_name", "") or appeal.student.get_username()
    return notify(group.ta, Notification.APPEAL_FILED, f"appeal:{appeal.pk}:filed",
                  f"{who} appealed: {appeal.what}", appeal.reason, reverse("ta_appeal", args=[appeal.pk]))


def appeal_answered(appeal) -> Notification | None:
    what, url = describe(appeal.target)
    outcome = "the result was changed" if appeal.outcome == appeal.CHANGED else "the result stands"
    return notify(appeal.student, Notification.APPEAL, f"appeal:{appeal.pk}:answered",
                  f"Your appeal on {what} was answered: {outcome}", appeal.answer, url)
