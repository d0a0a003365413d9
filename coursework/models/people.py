"""People and how they sign in: study groups, profiles, upload tokens, identities at outside providers."""
from django.conf import settings
from django.db import models
from django.utils import timezone


class StudyGroup(models.Model):
    """A group of students with the TA who reviews their work."""

    name = models.CharField(max_length=100, unique=True)
    ta = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                           related_name="groups_led", limit_choices_to={"is_staff": True},
                           help_text="Their work lands in this TA's queues by default.")

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Profile(models.Model):
    """What the course knows about a person beyond their login."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    display_name = models.CharField(max_length=80)
    leaderboard_alias = models.CharField(max_length=40, unique=True)
    show_name_on_leaderboard = models.BooleanField(default=False)
    group = models.ForeignKey(StudyGroup, null=True, blank=True, on_delete=models.SET_NULL, related_name="members")
    # In-site notifications always appear; this decides whether they also arrive by e-mail.
    email_notifications = models.BooleanField(default=True, verbose_name="E-mail me when my work is graded, reviewed "
                                                                          "or answered")
    # E-mail each notification as it happens, or gather them into one e-mail a day
    # (coursework.services.digests); the inbox shows them at once either way.
    EACH, DAILY = "each", "daily"
    EMAIL_FREQUENCIES = [(EACH, "One e-mail for each event"), (DAILY, "One daily digest")]
    email_frequency = models.CharField("How my e-mails arrive", max_length=10, choices=EMAIL_FREQUENCIES, default=EACH)

    def __str__(self):
        return self.display_name

    @property
    def leaderboard_name(self) -> str:
        return self.display_name if self.show_name_on_leaderboard else self.leaderboard_alias


class UploadToken(models.Model):
    """A personal token a student's notebook hands itself in with (the template's hand_in
    cell): scoped to notebook uploads, kept only as its SHA-256, revocable."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="upload_tokens")
    name = models.CharField(max_length=60)
    digest = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=12)  # its first characters, to tell tokens apart on the page
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]


class ExternalIdentity(models.Model):
    """A person's account at an outside identity provider, linked to their account here.

    Found only by the provider's issuer and its subject (`sub`), which the provider keeps for
    life; an e-mail address can change hands or be claimed at another provider, so it is kept
    to show, never to match. Shared by every way in from outside (OpenID Connect single
    sign-on; LTI 1.3 launches carry an `iss` and `sub` too)."""

    issuer = models.CharField(max_length=255)
    subject = models.CharField(max_length=255)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="external_identities")
    # What the provider last said about the person: shown on their settings page.
    email = models.EmailField(blank=True)
    name = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["issuer", "subject"], name="external_identity_issuer_subject")]
        ordering = ["created_at"]

    def __str__(self):
        return f"{self.subject} at {self.issuer}"
