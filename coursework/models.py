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
    # Accuracy on the test set that earns full credit (the course's own bar is 90%).
    full_credit_accuracy = models.FloatField(default=0.90)

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
