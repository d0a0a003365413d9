from django.conf import settings
from django.db import models
from django.utils import timezone


class Assignment(models.Model):
    """One task of the unit that students hand work in for."""

    NOTEBOOK = "notebook"
    KINDS = [(NOTEBOOK, "Notebook (technical project)")]

    slug = models.SlugField(unique=True)
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=KINDS, default=NOTEBOOK)
    due_at = models.DateTimeField(null=True, blank=True)
    # The grade rule: no credit at or below zero_credit_accuracy (chance is 10%), full
    # credit from full_credit_accuracy (the course's own bar is 90%), linear between.
    full_credit_accuracy = models.FloatField(default=0.90)
    zero_credit_accuracy = models.FloatField(default=0.10)
    # Overrides of settings.GRADER_DEFAULT_LIMITS for this assignment, e.g. {"total_timeout_s": 1800}.
    limits = models.JSONField(default=dict, blank=True)

    def score_for(self, accuracy: float) -> float:
        """The fraction of the credit earned at this test accuracy."""
        span = self.full_credit_accuracy - self.zero_credit_accuracy
        return min(1.0, max(0.0, (accuracy - self.zero_credit_accuracy) / span)) if span > 0 else float(accuracy >= self.full_credit_accuracy)

    def __str__(self):
        return self.title


class Submission(models.Model):
    """A notebook handed in for grading. Status moves only forward, see grader.states."""

    QUEUED = "queued"
    RUNNING = "running"
    GRADED = "graded"
    FAILED = "failed"  # the student's notebook caused it: a clear message, never retried
    ERROR = "error"  # the system caused it: retried, then shown to TAs
    STATUSES = [(s, s) for s in (QUEUED, RUNNING, GRADED, FAILED, ERROR)]
    PENDING = (QUEUED, RUNNING)
    FINISHED = (GRADED, FAILED, ERROR)

    assignment = models.ForeignKey(Assignment, on_delete=models.PROTECT, related_name="submissions")
    student = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="submissions")
    notebook = models.FileField(upload_to="notebooks/%Y/%m/")
    original_name = models.CharField(max_length=255)
    status = models.CharField(max_length=10, choices=STATUSES, default=QUEUED)
    message = models.TextField(blank=True)
    accuracy = models.FloatField(null=True, blank=True)  # full precision; rounded only in templates
    public_accuracy = models.FloatField(null=True, blank=True)
    private_accuracy = models.FloatField(null=True, blank=True)
    score = models.FloatField(null=True, blank=True)  # fraction of the credit, from the assignment's rule
    # Per-digit accuracy, confusion matrix, reference comparison, probe figures, limits used.
    feedback = models.JSONField(default=dict, blank=True)
    flagged = models.BooleanField(default=False)
    flag_reason = models.TextField(blank=True)
    log_tail = models.TextField(blank=True)  # the sandbox's own output, for TAs
    executed_html = models.FileField(upload_to="feedback/%Y/%m/", blank=True)
    confusion_png = models.FileField(upload_to="feedback/%Y/%m/", blank=True)
    gallery_png = models.FileField(upload_to="feedback/%Y/%m/", blank=True)
    attempts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    run_seconds = models.FloatField(null=True, blank=True)
    peak_memory_mb = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # the sweeper's query: pending rows by age of last sign of life
            models.Index(fields=["status", "heartbeat_at"], name="submission_status_heartbeat"),
            models.Index(fields=["student", "-created_at"], name="submission_student_recent"),
        ]

    def __str__(self):
        return f"{self.student} #{self.pk} ({self.status})"

    @property
    def is_pending(self):
        return self.status in self.PENDING
