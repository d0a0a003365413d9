"""What reaches people (notifications, daily digests) and what staff did (the audit trail)."""
from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone

from ..states import EmailStatus


class Notification(models.Model):
    """One thing a student should hear about, shown in their inbox and, unless they turned
    it off, e-mailed once. The row is the e-mail's outbox (coursework.states)."""

    GRADED, FAILED, REVIEWED, RESUBMIT, FLAG, APPEAL = "graded", "failed", "reviewed", "resubmit", "flag", "appeal"
    APPEAL_FILED = "appealed"  # for the TA of the student's group
    KINDS = [(GRADED, "Notebook graded"), (FAILED, "Notebook failed"), (REVIEWED, "Review posted"),
             (RESUBMIT, "Resubmission requested"), (FLAG, "Flag decided"), (APPEAL, "Appeal answered"),
             (APPEAL_FILED, "Appeal filed")]

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=10, choices=KINDS)
    # Names the event (e.g. "graded:submission-12:attempt-2"): one notification per event, however often it is told.
    event_key = models.CharField(max_length=150, unique=True)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=300, blank=True)  # a path on this site
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    email_status = models.CharField(max_length=10, choices=EmailStatus.choices, default=EmailStatus.PENDING)
    email_attempts = models.PositiveIntegerField(default=0)
    email_next_try_at = models.DateTimeField(default=timezone.now)
    email_claimed_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    email_error = models.TextField(blank=True)
    # The daily digest that carries it (email_status "digest" until one takes it).
    digest = models.ForeignKey("Digest", null=True, blank=True, on_delete=models.SET_NULL, related_name="notifications")

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="notification_inbox"),
            # the header's unread count, on every page
            models.Index(fields=["recipient"], name="notification_unread", condition=models.Q(read_at__isnull=True)),
            # the e-mail sweeper
            models.Index(fields=["email_status", "email_next_try_at"], name="notification_outbox",
                         condition=models.Q(email_status__in=[EmailStatus.PENDING, EmailStatus.SENDING])),
        ]

    def __str__(self):
        return f"{self.recipient}: {self.title}"


class Digest(models.Model):
    """One student's daily e-mail of the notifications held for it: its own outbox row
    (coursework.services.digests). One per student per day, so a sweep run twice, or by
    two workers, sends it once; the notifications are attached in the transaction that
    makes it, so a worker dying before it is sent loses nothing."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="digests")
    day = models.DateField()
    created_at = models.DateTimeField(default=timezone.now)
    email_status = models.CharField(max_length=10, choices=EmailStatus.choices, default=EmailStatus.PENDING)
    email_attempts = models.PositiveIntegerField(default=0)
    email_claimed_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    email_error = models.TextField(blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["recipient", "day"], name="one_digest_per_day")]
        indexes = [models.Index(fields=["email_status", "email_claimed_at"], name="digest_outbox",
                                condition=models.Q(email_status__in=[EmailStatus.PENDING, EmailStatus.SENDING]))]


class AuditEvent(models.Model):
    """Who did what to which piece of work, and what changed: reviews, regrades, flags, reveals."""

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    action = models.CharField(max_length=40)
    # The object acted on (a submission, a synthesis response, an essay set, an assignment).
    target_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    target_id = models.PositiveBigIntegerField()
    target = GenericForeignKey("target_type", "target_id")
    student = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.CASCADE, related_name="audit_events")
    changes = models.JSONField(default=dict)

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["target_type", "target_id", "-at"], name="audit_by_target")]
