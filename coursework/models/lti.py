"""LTI 1.3: the platforms that launch us, their courses, members, line items and scores."""
from django.db import models
from django.utils import timezone

from .course import Assignment
from .people import ExternalIdentity


class LtiPlatform(models.Model):
    """An LMS this site is registered in as an LTI 1.3 tool: what the LMS's admin gave us
    (docs/operations.md, "Registering the tool in an LMS")."""

    name = models.CharField(max_length=100)
    issuer = models.CharField(max_length=255, help_text="The platform's issuer (iss), e.g. https://canvas.instructure.com")
    client_id = models.CharField(max_length=255)
    auth_login_url = models.URLField(max_length=500, help_text="The platform's OIDC authorisation endpoint.")
    auth_token_url = models.URLField(max_length=500, help_text="The platform's OAuth2 token endpoint (services).")
    auth_audience = models.CharField(max_length=500, blank=True,
                                     help_text="The token endpoint's audience when it is not the token URL (Moodle, Canvas: empty).")
    key_set_url = models.URLField(max_length=500, help_text="The platform's public keys (JWKS).")
    deployment_ids = models.JSONField(default=list, help_text='The deployments launches may come from, e.g. ["1"].')
    # One deployment can serve every course of an LMS (a site-wide registration): a teacher of
    # any other course there must not become staff here, nor receive our students' grades.
    context_ids = models.JSONField(default=list, blank=True, help_text=(
        'The LMS courses (context ids) this course is taught in, e.g. ["8865aa"]: a launch from any other '
        "course is refused, and only these get rosters and grades."))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["issuer", "client_id"], name="lti_platform_issuer_client")]

    def __str__(self):
        return f"{self.name} ({self.issuer})"


class LtiContext(models.Model):
    """A course in an LMS that launched us, with the service endpoints its last launch named."""

    platform = models.ForeignKey(LtiPlatform, on_delete=models.CASCADE, related_name="contexts")
    deployment_id = models.CharField(max_length=255)
    context_id = models.CharField(max_length=255)
    title = models.CharField(max_length=255, blank=True)
    lineitems_url = models.URLField(max_length=500, blank=True)
    ags_scopes = models.JSONField(default=list, blank=True)
    memberships_url = models.URLField(max_length=500, blank=True)
    roster_synced_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["platform", "context_id"], name="lti_context_platform_context")]

    def __str__(self):
        return self.title or self.context_id


class LtiMembership(models.Model):
    """Who is in an LMS course, from a launch or a roster sync; learners' grades go back to it."""

    context = models.ForeignKey(LtiContext, on_delete=models.CASCADE, related_name="memberships")
    identity = models.ForeignKey(ExternalIdentity, on_delete=models.CASCADE, related_name="memberships")
    learner = models.BooleanField(default=True)
    active = models.BooleanField(default=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["context", "identity"], name="lti_membership_context_identity")]


class LtiLineItem(models.Model):
    """A gradebook column in an LMS course for one task: made once per (course, task)."""

    context = models.ForeignKey(LtiContext, on_delete=models.CASCADE, related_name="line_items")
    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="lti_line_items")
    url = models.URLField(max_length=500)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["context", "assignment"], name="lti_line_item_context_task")]


class LtiScore(models.Model):
    """The score a line item should hold for one learner, and what the LMS was last sent:
    the outbox of grade passback. `wanted` changes when the gradebook's figure does; the
    push task sends it and records `sent`, so a figure is sent once however often it runs."""

    PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"
    STATUSES = [(PENDING, "pending"), (SENDING, "sending"), (SENT, "sent"), (FAILED, "failed")]

    line_item = models.ForeignKey(LtiLineItem, on_delete=models.CASCADE, related_name="scores")
    identity = models.ForeignKey(ExternalIdentity, on_delete=models.CASCADE, related_name="scores")
    # None: no figure counts any more (a flag upheld, a review made feedback-only), so the LMS's is cleared.
    wanted_given = models.FloatField(null=True, blank=True)
    wanted_maximum = models.FloatField()
    wanted_at = models.DateTimeField(default=timezone.now)
    sent_given = models.FloatField(null=True, blank=True)
    sent_maximum = models.FloatField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=STATUSES, default=PENDING)
    attempts = models.PositiveIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    next_try_at = models.DateTimeField(default=timezone.now)
    last_error = models.TextField(blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["line_item", "identity"], name="lti_score_line_item_identity")]
        indexes = [models.Index(fields=["status", "next_try_at"], name="lti_score_due")]


class LtiNonce(models.Model):
    """A launch's nonce, kept once it is used: the same id_token posted again is refused."""

    issuer = models.CharField(max_length=255)
    nonce = models.CharField(max_length=255)
    used_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["issuer", "nonce"], name="lti_nonce_issuer_nonce")]
