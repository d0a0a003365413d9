"""The course itself: tasks and their terms, the unit's pages, questions and essay prompts, extensions and late days."""
from django.conf import settings
from django.contrib.contenttypes.fields import GenericRelation
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from .people import StudyGroup


class AssignmentQuerySet(models.QuerySet):
    def of_kind(self, kind: str):
        return self.filter(kind=kind)

    def the(self, kind: str) -> "Assignment | None":
        """The unit's task of this kind (the unit has one of each), or None before `seed_demo`."""
        return self.filter(kind=kind).order_by("pk").first()

    def unit_tasks(self) -> "dict[str, Assignment]":
        """The unit's task of each kind, as `the` picks it: the first made. A variant made
        later (the PyTorch notebook task) is not the one My progress and the gradebook count."""
        tasks = {}
        for task in self.order_by("pk"):
            tasks.setdefault(task.kind, task)
        return tasks


class Assignment(models.Model):
    """One task of the unit that students hand work in for, with its due date."""

    NOTEBOOK = "notebook"
    ESSAYS = "essays"
    SYNTHESIS = "synthesis"
    KINDS = [(NOTEBOOK, "Notebook (technical project)"), (ESSAYS, "Essays (non-technical project)"),
             (SYNTHESIS, "Synthesis questions")]

    slug = models.SlugField(unique=True)
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=KINDS, default=NOTEBOOK)
    due_at = models.DateTimeField(null=True, blank=True)
    # The grade rule: no credit at or below zero_credit_accuracy (chance is 10%), full
    # credit from full_credit_accuracy (the course's own bar is 90%), linear between.
    full_credit_accuracy = models.FloatField(default=0.90)
    zero_credit_accuracy = models.FloatField(default=0.10)
    # The kernel environment its notebooks run with (grader/environments.py): "numpy", or
    # "pytorch" for the CPU build of torch as well. A name from GRADER_KERNEL_ENVIRONMENTS.
    environment = models.CharField(max_length=40, default="numpy",
                                   help_text="The kernel environment notebooks run with: numpy or pytorch.")
    # Overrides of settings.GRADER_DEFAULT_LIMITS for this assignment, e.g. {"total_timeout_s": 1800}.
    limits = models.JSONField(default=dict, blank=True)
    # Notebook uploads per student per day (UTC); failures caused by the system do not count.
    daily_submission_limit = models.PositiveIntegerField(default=10)
    # The leaderboard ranks on the public half of the test set until a TA reveals the private half.
    private_revealed = models.BooleanField(default=False)
    # A grade above this test accuracy goes to a TA before it counts: more than a network of
    # the kind this task asks for reaches (empty: settings.FLAG_ACCURACY_ABOVE).
    flag_accuracy_above = models.FloatField(null=True, blank=True,
                                            validators=[MinValueValidator(0), MaxValueValidator(1)],
                                            help_text="A fraction, e.g. 0.992; empty for the site's default.")
    # The reference solution (the seed's "answers") opens to a student after their own due date;
    # with this set, also as soon as they have a graded submission at full credit. Empty: no.
    solution_at_full_credit = models.BooleanField(
        null=True, blank=True,
        help_text="Offer the solution notebook before the due date to a student whose graded submission reaches "
                  "full credit (after the due date it is offered to everyone).")
    # What happens to work after a student's own due date (coursework.services.deadlines).
    ACCEPT_LATE, PENALTY, CLOSE = "accept", "penalty", "close"
    LATE_POLICIES = [(ACCEPT_LATE, "Accept late work, marked late"),
                     (PENALTY, "Accept late work with a penalty per day late"),
                     (CLOSE, "Accept late work until a lock date, then refuse it")]
    late_policy = models.CharField(max_length=10, choices=LATE_POLICIES, default=ACCEPT_LATE)
    # The fraction of the score lost per day (or part of a day) late, under the penalty policy.
    late_penalty_per_day = models.FloatField(default=0.1, validators=[MinValueValidator(0), MaxValueValidator(1)])
    # Under the close policy, the last moment work is accepted (empty: the due date itself).
    lock_at = models.DateTimeField(null=True, blank=True)
    # Reviews of this task's work show no student's name (coursework.services.anonymity):
    # TAs score the work, not the person; a TA shows a name on demand, audited.
    anonymous_review = models.BooleanField(
        default=True, help_text="Hide students' names in this task's review queue and pages; a TA can show one "
                                "(for an appeal or an integrity case), which is audited.")

    # When TAs' reviews of this task's work reach students: as each is saved, or when a TA
    # publishes the task's reviews (coursework.services.publishing); until then a student
    # sees the work as being reviewed, with no score and no notification.
    AT_ONCE, WHEN_PUBLISHED = "at_once", "published"
    PUBLISH_CHOICES = [(AT_ONCE, "At once, as each review is saved"),
                       (WHEN_PUBLISHED, "When a TA publishes the task's reviews")]
    publish_reviews = models.CharField(max_length=10, choices=PUBLISH_CHOICES, default=AT_ONCE,
                                       help_text="Reviews held until a TA publishes them reach every student at once.")

    objects = AssignmentQuerySet.as_manager()
    # What staff did to it, newest first (coursework.services.audit).
    audit_trail = GenericRelation("AuditEvent", content_type_field="target_type", object_id_field="target_id")

    def clean(self):
        from django.core.exceptions import ValidationError

        from grader.limits import Limits

        try:
            Limits.check_overrides(self.limits or {})
        except ValueError as exc:
            raise ValidationError({"limits": str(exc)}) from None
        if self.environment not in settings.GRADER_KERNEL_ENVIRONMENTS:
            raise ValidationError({"environment": f"Not a kernel environment: choose one of "
                                                  f"{', '.join(settings.GRADER_KERNEL_ENVIRONMENTS)}."})
        from grader.environments import address_space_problem

        if problem := address_space_problem(self.environment, Limits.from_settings(self.limits or {}).process_memory_mb):
            raise ValidationError({"limits": problem[0].upper() + problem[1:] + "."})

    @property
    def implausible_above(self) -> float:
        return self.flag_accuracy_above if self.flag_accuracy_above is not None else settings.FLAG_ACCURACY_ABOVE

    def score_for(self, accuracy: float) -> float:
        """The fraction of the credit earned at this test accuracy."""
        span = self.full_credit_accuracy - self.zero_credit_accuracy
        return min(1.0, max(0.0, (accuracy - self.zero_credit_accuracy) / span)) if span > 0 else float(accuracy >= self.full_credit_accuracy)

    def __str__(self):
        return self.title


class Page(models.Model):
    """A page of the unit, written in Markdown under content/ and editable by staff."""

    OVERVIEW, READING, VIDEO, PROJECT, ARCHIVE = "overview", "reading", "video", "project", "archive"
    KINDS = [(k, k) for k in (OVERVIEW, READING, VIDEO, PROJECT, ARCHIVE)]

    slug = models.SlugField(unique=True)
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=KINDS)
    order = models.PositiveIntegerField(default=0)
    body = models.TextField(help_text="Markdown. Figures: [[figure:network]], [[figure:flatten]].")
    video_url = models.URLField(blank=True)
    video_minutes = models.PositiveIntegerField(null=True, blank=True)
    # The hash of the content file this page was last loaded from, and of the body then:
    # if the body no longer matches, staff edited it and the loader leaves it alone.
    source_hash = models.CharField(max_length=64, blank=True)
    loaded_body_hash = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["order"]

    def __str__(self):
        return self.title


class QuestionSet(models.Model):
    """The synthesis questions of one video section."""

    page = models.OneToOneField(Page, on_delete=models.CASCADE, related_name="question_set")
    optional = models.BooleanField(default=False)  # the archive's extra sets

    def __str__(self):
        return self.page.title


def answer_checks() -> list[tuple[str, str]]:
    from ..services.hints import choices  # the registry lives with the checks themselves

    return choices()


class Question(models.Model):
    question_set = models.ForeignKey(QuestionSet, on_delete=models.CASCADE, related_name="questions")
    order = models.PositiveIntegerField()
    text = models.TextField()
    bonus = models.BooleanField(default=False)
    # The part of an answer coursework.services.hints checks as the student types: a key of
    # its registry ("" for none), whose entries are the choices.
    answer_check = models.CharField(max_length=20, choices=answer_checks, blank=True, default="")

    class Meta:
        ordering = ["order"]
        constraints = [models.UniqueConstraint(fields=["question_set", "order"], name="question_order_unique")]

    def __str__(self):
        return self.text[:60]


class EssayPrompt(models.Model):
    order = models.PositiveIntegerField(unique=True)
    text = models.TextField()

    class Meta:
        ordering = ["order"]

    def __str__(self):
        return self.text


class Extension(models.Model):
    """A later due date for one student, or for a whole group, on one task."""

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="extensions")
    student = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE,
                                related_name="extensions")
    group = models.ForeignKey(StudyGroup, null=True, blank=True, on_delete=models.CASCADE, related_name="extensions")
    due_at = models.DateTimeField()
    reason = models.CharField(max_length=500, blank=True)
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    granted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["assignment", "-granted_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(student__isnull=False, group__isnull=True)
                | models.Q(student__isnull=True, group__isnull=False),
                name="extension_for_a_student_or_a_group"),
            models.UniqueConstraint(fields=["assignment", "student"], condition=models.Q(student__isnull=False),
                                    name="one_extension_per_student"),
            models.UniqueConstraint(fields=["assignment", "group"], condition=models.Q(group__isnull=False),
                                    name="one_extension_per_group"),
        ]

    def __str__(self):
        return f"{self.assignment.slug}: {self.student or self.group} until {self.due_at:%Y-%m-%d %H:%M}"


class LateDaySpend(models.Model):
    """Late days of a student's bank (settings.LATE_DAYS) spent on one task: the lateness of
    its work they cover (coursework.services.late_days). One row per student and task."""

    student = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="late_day_spends")
    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="late_day_spends")
    days = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["student", "assignment"], name="one_spend_per_task")]
