"""Notebooks handed in, and the one definition of what counts toward a grade."""
from django.conf import settings
from django.contrib.contenttypes.fields import GenericRelation
from django.db import models
from django.db.models.functions import Now
from django.utils import timezone

from ..states import PROBLEMS, FlagDecision, RenderStatus, SubmissionStatus
from .course import Assignment

# What counts toward a grade, on the boards and in the gradebook: a graded run whose flag, if
# it has one, a TA cleared. The one definition: Submission.objects.counted() for lists,
# COUNTED inside an aggregate, Submission.counts for one row. The leaderboard's raw SQL
# spells the same condition (coursework.services.leaderboard._counting) and is tested
# against counted().
COUNTED = models.Q(status=SubmissionStatus.GRADED) & (models.Q(flagged=False)
                                                      | models.Q(flag_resolution=FlagDecision.CLEARED))


class SubmissionQuerySet(models.QuerySet):
    def counted(self):
        """The runs that count toward a grade (see COUNTED)."""
        return self.filter(COUNTED)


class GradedSubmissions(models.Manager.from_queryset(SubmissionQuerySet)):
    """Notebooks handed in for a grade: what leaderboards, grades, allowances, TA queues and
    every list of a student's attempts count. The default manager, so code that forgets to
    ask never counts a check as an attempt."""

    def get_queryset(self):
        return super().get_queryset().filter(purpose=Submission.GRADED)


class Submission(models.Model):
    """A notebook handed in for grading, or only checked (`purpose`
    "check": run the same way on a few training images, never scored, never counted).
    Its status changes only in coursework.states."""

    GRADED, CHECK = "graded", "check"
    PURPOSES = [(GRADED, "graded upload"), (CHECK, "check")]

    assignment = models.ForeignKey(Assignment, on_delete=models.PROTECT, related_name="submissions")
    student = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="submissions")
    notebook = models.FileField(upload_to="notebooks/%Y/%m/")
    original_name = models.CharField(max_length=255)
    status = models.CharField(max_length=10, choices=SubmissionStatus.choices, default=SubmissionStatus.QUEUED)
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
    # The executed notebook (compact JSON, outputs capped) of a graded run whose page could
    # not be drawn in full: what the page is drawn again from (coursework.services.pages).
    executed_notebook = models.FileField(upload_to="feedback/%Y/%m/", blank=True)
    # Drawing that page again (coursework.states, "the executed notebook's page"): whether it
    # is owed, how many tries have begun, when the next may begin or when its worker last
    # showed life, and why the page is missing or partial (for the student and the TA).
    render_status = models.CharField(max_length=10, choices=RenderStatus.choices, default=RenderStatus.DONE)
    render_attempts = models.PositiveIntegerField(default=0)
    render_next_try_at = models.DateTimeField(null=True, blank=True)
    render_heartbeat_at = models.DateTimeField(null=True, blank=True)
    render_problem = models.TextField(blank=True)
    confusion_png = models.FileField(upload_to="feedback/%Y/%m/", blank=True)
    gallery_png = models.FileField(upload_to="feedback/%Y/%m/", blank=True)
    # The misclassified digits of the public half only: what a student sees before the reveal.
    public_gallery_png = models.FileField(upload_to="feedback/%Y/%m/", blank=True, null=True)
    attempts = models.PositiveIntegerField(default=0)  # grading runs started, ever (names each run's files)
    # `attempts` when a person last queued it; runs above it count toward GRADER_MAX_ATTEMPTS.
    attempt_floor = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    # The grading queue (coursework.grading.dispatch): who asked for this run (the
    # student who uploaded it, or the TA who queued it again; None for the command line),
    # when, by the database's clock, and when its message went to the broker (None: not yet).
    queued_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")
    queued_at = models.DateTimeField(db_default=Now())
    sent_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    run_seconds = models.FloatField(null=True, blank=True)
    peak_memory_mb = models.FloatField(null=True, blank=True)
    late = models.BooleanField(default=False)
    days_late = models.PositiveIntegerField(default=0)  # against the student's own due date, a part day counts
    late_days_used = models.PositiveIntegerField(default=0)  # of days_late, covered by the late-day bank
    # Set when the run showed the template uploaded unchanged: it does not count against the
    # day's uploads (coursework.grading.store._is_unchanged_template).
    refunded_at = models.DateTimeField(null=True, blank=True)
    # A TA's decision on a flag (states.FlagDecision): "" (open), "cleared" (counts) or "upheld".
    flag_resolution = models.CharField(max_length=10, blank=True)
    flag_resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                         related_name="+")
    flag_resolved_at = models.DateTimeField(null=True, blank=True)
    purpose = models.CharField(max_length=10, choices=PURPOSES, default=GRADED)
    # When the student marked it as one of their (at most two) final uploads, which alone
    # rank on the private leaderboard (coursework.services.finals); None: not marked.
    final_marked_at = models.DateTimeField(null=True, blank=True)
    # What staff did to it, newest first (coursework.services.audit).
    audit_trail = GenericRelation("AuditEvent", content_type_field="target_type", object_id_field="target_id")
    appeals = GenericRelation("Appeal", content_type_field="target_type", object_id_field="target_id")

    objects = GradedSubmissions()
    # Every run, checks included: the grading machinery (the queue, claims, the sweeper)
    # and a student's own pages, which show a check like any run.
    all_runs = SubmissionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # the leaderboard: each student's best graded submission of an assignment
            models.Index(fields=["assignment", "status", "student", "-public_accuracy", "created_at"],
                         name="leaderboard_public"),
            models.Index(fields=["assignment", "status", "student", "-private_accuracy", "created_at"],
                         name="leaderboard_private"),
            # the Ladder: each student's graded submissions in upload order
            models.Index(fields=["assignment", "status", "student", "created_at", "id"], name="leaderboard_ladder"),
            # the leaderboard cache's version: the latest grade of an assignment
            models.Index(fields=["assignment", "finished_at"], name="submission_latest_grade"),
            # the admin's list of submissions, newest first (its ordering, then -pk)
            models.Index(fields=["-created_at", "-id"], name="submission_newest_first"),
            # the TA queue of notebooks to check: failed, errored, or flagged and not yet resolved
            models.Index(fields=["created_at", "id"], name="notebook_problems",
                         condition=models.Q(status__in=PROBLEMS) | models.Q(flagged=True, flag_resolution="")),
            # the sweeper's query: pending rows by age of last sign of life
            models.Index(fields=["status", "heartbeat_at"], name="submission_status_heartbeat"),
            models.Index(fields=["student", "-created_at"], name="submission_student_recent"),
            # the dispatcher's query: the runs asked for since the fair window began, by requester
            models.Index(fields=["queued_at", "queued_by"], name="submission_dispatch_turns"),
            # the page sweeper's query: pages still owed, by when they are due
            models.Index(fields=["render_status", "render_next_try_at"], name="submission_pages_owed",
                         condition=models.Q(render_status__in=["pending", "rendering"])),
        ]

    def __str__(self):
        return f"{self.student} #{self.pk} ({self.status})"

    @property
    def is_pending(self):
        return self.status in (SubmissionStatus.QUEUED, SubmissionStatus.RUNNING)

    @property
    def is_graded(self):
        return self.status == SubmissionStatus.GRADED

    @property
    def is_check(self) -> bool:
        return self.purpose == self.CHECK

    @property
    def flag_open(self) -> bool:
        return self.flagged and not self.flag_resolution

    @property
    def counts(self) -> bool:
        """Whether this run counts toward a grade (COUNTED, for one row)."""
        return (self.purpose == self.GRADED and self.status == SubmissionStatus.GRADED
                and (not self.flagged or self.flag_resolution == FlagDecision.CLEARED))
