from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey, GenericRelation
from django.contrib.contenttypes.models import ContentType
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Now
from django.utils import timezone

from .states import (PROBLEMS, REVIEW_EDITABLE, AppealStatus, EmailStatus, FlagDecision, RenderStatus, ReviewStatus,
                     SubmissionStatus)


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


class StandingsVersion(models.Model):
    """How many times an assignment's leaderboard has changed: the key of its cached table.

    Database triggers (see coursework/cache_triggers.py) count every write that can move
    the standings, whichever code makes it: a grade stored or withdrawn by a regrade, a
    flag resolved, a row deleted, a student's leaderboard name changed. Reading it is one
    primary-key lookup, however many submissions there are.
    """

    # No constraint in the database: emptying every table at once (manage.py flush, the
    # restore drill's wipe) deletes the graded submissions after the counters, and their
    # trigger then bumps a counter for a task deleted in the same transaction, which a
    # constraint refused. A counter left for a deleted task harms nothing.
    assignment = models.OneToOneField(Assignment, primary_key=True, on_delete=models.CASCADE, related_name="standings",
                                      db_constraint=False)
    version = models.BigIntegerField(default=0)


class QueuesVersion(models.Model):
    """How many times anything the TA queue pages show has changed: the key of their cached
    rendering. One row (id 1), kept like StandingsVersion by database triggers: an item
    entering, leaving or changing in a queue, a name, group, page title or task renamed.
    Drafts being autosaved, submissions being queued, claimed and graded cleanly do not
    touch it.
    """

    version = models.BigIntegerField(default=0)


class ContentVersion(models.Model):
    """How many times the unit's content has changed: the key of the pages kept for visitors
    who are not signed in (coursework/views/visitors.py). One row (id 1), kept like
    StandingsVersion by database triggers on the pages, question sets, questions and tasks,
    whichever code writes them: the content loader, the admin, a shell.
    """

    version = models.BigIntegerField(default=0)


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
    ask never counts a pre-flight check as an attempt."""

    def get_queryset(self):
        return super().get_queryset().filter(purpose=Submission.GRADED)


class Submission(models.Model):
    """A notebook handed in for grading, or only checked (a pre-flight check, `purpose`
    "check": run the same way on a few training images, never scored, never counted).
    Its status changes only in coursework.states."""

    GRADED, CHECK = "graded", "check"
    PURPOSES = [(GRADED, "graded upload"), (CHECK, "pre-flight check")]

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
    # The grading queue (coursework.services.grading.dispatch): who asked for this run (the
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
    # day's uploads (coursework.services.grading.refund_if_template).
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
    from .services.hints import choices  # the registry lives with the checks themselves

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


class Reviewed(models.Model):
    """What a TA's review leaves on a piece of work: who, when, the rubric points, the comments."""

    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="%(class)s_reviews")
    score = models.FloatField(null=True, blank=True)  # the rubric's points, before any late penalty
    max_score = models.FloatField(null=True, blank=True)  # the rubric's points available when it was reviewed
    # The rubric as it was when reviewed, with each criterion's points and comment, so an
    # edit of the rubric later never changes a review already given
    # (coursework.services.rubrics.snapshot).
    rubric = models.JSONField(default=dict, blank=True)
    feedback_only = models.BooleanField(default=False)  # reviewed on purpose without a score
    ta_feedback = models.TextField(blank=True)
    # Counts saved reviews: a TA's form carries the number it was loaded at, so a second TA
    # saving the same work meanwhile is noticed instead of silently overwritten.
    review_version = models.PositiveIntegerField(default=0)
    # A review saved while its task publishes reviews only when a TA says so: its student
    # sees none of it (coursework.services.publishing). published_at: when a TA last
    # published this work's review; the appeal window counts from it or from reviewed_at
    # (a review given at once), whichever is later.
    held = models.BooleanField(default=False)
    published_at = models.DateTimeField(null=True, blank=True)
    # What staff did to it, newest first (coursework.services.audit).
    audit_trail = GenericRelation("AuditEvent", content_type_field="target_type", object_id_field="target_id")
    appeals = GenericRelation("Appeal", content_type_field="target_type", object_id_field="target_id")

    class Meta:
        abstract = True


class SynthesisResponse(Reviewed):
    """One student's answers to one question set: draft -> submitted -> reviewed."""

    student = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="synthesis_responses")
    question_set = models.ForeignKey(QuestionSet, on_delete=models.CASCADE, related_name="responses")
    status = models.CharField(max_length=10, choices=ReviewStatus.choices, default=ReviewStatus.DRAFT)
    saved_at = models.DateTimeField(default=timezone.now)
    submitted_at = models.DateTimeField(null=True, blank=True)
    late = models.BooleanField(default=False)
    days_late = models.PositiveIntegerField(default=0)
    late_days_used = models.PositiveIntegerField(default=0)  # of days_late, covered by the late-day bank

    class Meta:
        constraints = [models.UniqueConstraint(fields=["student", "question_set"], name="one_response_per_set")]
        # the TA queue, in the order it is shown: its first page is read off the index
        indexes = [models.Index(fields=["status", "submitted_at", "id"], name="synthesis_queue"),
                   # the publish page's count and the publish itself (services.publishing)
                   models.Index(fields=["id"], name="synthesis_held", condition=models.Q(held=True))]

    @property
    def editable(self) -> bool:
        return self.status in REVIEW_EDITABLE


class Answer(models.Model):
    response = models.ForeignKey(SynthesisResponse, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.CASCADE)
    text = models.TextField(blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["response", "question"], name="one_answer_per_question")]


class EssayPrompt(models.Model):
    order = models.PositiveIntegerField(unique=True)
    text = models.TextField()

    class Meta:
        ordering = ["order"]

    def __str__(self):
        return self.text


class EssaySubmission(Reviewed):
    """One version of a student's three essays; every version is kept."""

    student = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="essay_submissions")
    version = models.PositiveIntegerField()
    submitted_at = models.DateTimeField(default=timezone.now)
    late = models.BooleanField(default=False)
    days_late = models.PositiveIntegerField(default=0)
    late_days_used = models.PositiveIntegerField(default=0)  # of days_late, covered by the late-day bank
    status = models.CharField(max_length=10, choices=[c for c in ReviewStatus.choices if c[0] != ReviewStatus.DRAFT],
                              default=ReviewStatus.SUBMITTED)

    class Meta:
        ordering = ["-version"]
        constraints = [models.UniqueConstraint(fields=["student", "version"], name="essay_version_unique")]
        # the TA queue, in the order it is shown: its first page is read off the index
        indexes = [models.Index(fields=["status", "submitted_at", "id"], name="essay_queue"),
                   # the publish page's count and the publish itself (services.publishing)
                   models.Index(fields=["id"], name="essay_held", condition=models.Q(held=True))]


class Essay(models.Model):
    submission = models.ForeignKey(EssaySubmission, on_delete=models.CASCADE, related_name="essays")
    prompt = models.ForeignKey(EssayPrompt, on_delete=models.PROTECT)
    text = models.TextField()
    meaningful_words = models.PositiveIntegerField()
    source_name = models.CharField(max_length=200, blank=True)  # the uploaded file's name, if any

    class Meta:
        ordering = ["prompt__order"]


class RubricCriterion(models.Model):
    """One line of a task's rubric, set by staff; a review scores each criterion.

    The essays have one rubric; synthesis answers have one per question set (criteria with
    that `question_set`), plus any criteria of the synthesis task with no set, which apply
    to every set."""

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="rubric")
    question_set = models.ForeignKey("QuestionSet", null=True, blank=True, on_delete=models.CASCADE,
                                     related_name="rubric")
    order = models.PositiveIntegerField(default=0)
    name = models.CharField("title", max_length=100)
    description = models.TextField(blank=True, max_length=2000)
    max_points = models.PositiveIntegerField(default=2, validators=[MinValueValidator(1), MaxValueValidator(100)])
    # Points a student may earn on top of the total (an optional question): not in the maximum.
    bonus = models.BooleanField(default=False)
    # Points taken off the total ("late citation": up to 2 off): not in the maximum; the
    # total never goes below 0. Its levels hold the points taken off, as positive numbers.
    deduction = models.BooleanField(default=False)

    class Meta:
        ordering = ["order", "pk"]
        indexes = [models.Index(fields=["assignment", "question_set", "order"], name="rubric_of_task")]

    def __str__(self):
        return f"{self.assignment.slug}: {self.name}"


class RubricLevel(models.Model):
    """A named level of a criterion ("clear and well organised": 2 points), a shortcut when scoring."""

    criterion = models.ForeignKey(RubricCriterion, on_delete=models.CASCADE, related_name="levels")
    points = models.FloatField(validators=[MinValueValidator(0)])
    title = models.CharField(max_length=100)
    description = models.TextField(blank=True, max_length=1000)

    class Meta:
        ordering = ["-points", "pk"]

    def __str__(self):
        return f"{self.title} ({self.points:g})"


class RubricComment(models.Model):
    """A reusable comment of a criterion's comment bank: one click puts it in the review, where it can be edited."""

    criterion = models.ForeignKey(RubricCriterion, on_delete=models.CASCADE, related_name="comments")
    order = models.PositiveIntegerField(default=0)
    text = models.TextField(max_length=2000)

    class Meta:
        ordering = ["order", "pk"]

    def __str__(self):
        return self.text[:60]


class ReviewDraft(models.Model):
    """What a TA has typed into a review form and not saved yet (autosaved as they type)."""

    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="review_drafts")
    target_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    target_id = models.PositiveBigIntegerField()
    target = GenericForeignKey("target_type", "target_id")
    fields = models.JSONField(default=dict)  # form field name -> value, as typed
    saved_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["reviewer", "target_type", "target_id"],
                                               name="one_draft_per_reviewer_and_item")]


class ReviewClaim(models.Model):
    """A TA working on a review item (an essay set, a synthesis response, a notebook to check):
    until `expires_at`, another TA's "next" skips it, so two TAs never review the same work.
    It lapses by itself: a TA who walks away holds nothing for long."""

    target_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    target_id = models.PositiveBigIntegerField()
    target = GenericForeignKey("target_type", "target_id")
    holder = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="review_claims")
    claimed_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()

    class Meta:
        # One claim per item; the queue's "is it claimed?" probe reads this index.
        constraints = [models.UniqueConstraint(fields=["target_type", "target_id"], name="one_claim_per_item")]


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


class Appeal(models.Model):
    """A student's request for a second look at a reviewed or graded piece of work."""

    student = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="appeals")
    # The work appealed: a notebook submission, a synthesis response or an essay set.
    target_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    target_id = models.PositiveBigIntegerField()
    target = GenericForeignKey("target_type", "target_id")
    what = models.CharField(max_length=200)  # the work's name when filed, so a queue lists it without a lookup
    reason = models.TextField(max_length=2000)
    status = models.CharField(max_length=10, choices=AppealStatus.choices, default=AppealStatus.OPEN)
    created_at = models.DateTimeField(default=timezone.now)
    # The result the student appealed against (score, version): a regrade meanwhile shows.
    filed_against = models.JSONField(default=dict)
    answer = models.TextField(blank=True, max_length=4000)
    CHANGED, UNCHANGED = "changed", "unchanged"
    OUTCOMES = [(CHANGED, "The result was changed"), (UNCHANGED, "The result stands")]
    outcome = models.CharField(max_length=10, choices=OUTCOMES, blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["target_type", "target_id"],
                                               condition=models.Q(status=AppealStatus.OPEN),
                                               name="one_open_appeal_per_item")]
        indexes = [models.Index(fields=["status", "created_at"], name="appeal_queue"),
                   models.Index(fields=["target_type", "target_id"], name="appeal_by_target"),
                   models.Index(fields=["student", "-created_at"], name="appeal_by_student")]


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


class Heartbeat(models.Model):
    """When a periodic job last ran to its end, by name: beat's sweep proves beat, the
    broker and at least one worker alive at once (the metrics report its age)."""

    name = models.CharField(max_length=40, primary_key=True)
    seen_at = models.DateTimeField()
    host = models.CharField(max_length=200, blank=True)


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


# --- LTI 1.3 (coursework.services.lti) ----------------------------------------------


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
    wanted_given = models.FloatField()
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
class AnswerGrade(models.Model):
    """Points one answer was given with its group of similar answers (coursework.services.grouping),
    on its question's criterion. The response's review takes them in once every criterion of
    the set has points; until then they fill that criterion on the response's review page."""

    answer = models.OneToOneField(Answer, on_delete=models.CASCADE, related_name="grade")
    criterion = models.ForeignKey(RubricCriterion, on_delete=models.CASCADE, related_name="+")
    points = models.FloatField()
    comment = models.TextField(blank=True)
    graded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    graded_at = models.DateTimeField(default=timezone.now)


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


class LateDaySpend(models.Model):
    """Late days of a student's bank (settings.LATE_DAYS) spent on one task: the lateness of
    its work they cover (coursework.services.late_days). One row per student and task."""

    student = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="late_day_spends")
    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="late_day_spends")
    days = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["student", "assignment"], name="one_spend_per_task")]
