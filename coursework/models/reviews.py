"""Work TAs review (synthesis answers, essays), their rubrics, drafts, claims and appeals."""
from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey, GenericRelation
from django.contrib.contenttypes.models import ContentType
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from ..states import REVIEW_EDITABLE, AppealStatus, ReviewStatus
from .course import Assignment, EssayPrompt, Question, QuestionSet


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
    # With a resubmission requested: the new version handed in by then is judged as late as
    # the one it replaces, so the student is never charged for when the TA asked
    # (coursework.services.deadlines.request_judgement). None on any other review.
    resubmit_by = models.DateTimeField(null=True, blank=True)
    # The days late the request judged the version now here, when it was handed in under one
    # (None: handed in otherwise). Staff moving the due date later judge it again against
    # the new terms, but never later than this: the student is not charged for staff's timing
    # (coursework.services.deadlines.recompute_lateness).
    request_days_late = models.PositiveIntegerField(null=True, blank=True)
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


class PassageGrade(models.Model):
    """Points an essay set was given on one criterion of the essays' rubric with a group of
    similar passages (coursework.services.passages). The set's review takes them in once every
    criterion has points; until then, and when given after the set's review, they fill that
    criterion on its review page."""

    submission = models.ForeignKey(EssaySubmission, on_delete=models.CASCADE, related_name="passage_grades")
    criterion = models.ForeignKey(RubricCriterion, on_delete=models.CASCADE, related_name="+")
    essay = models.ForeignKey(Essay, on_delete=models.CASCADE, related_name="+")  # the essay the passage is from
    passage = models.TextField()  # the words graded, as the group showed them
    points = models.FloatField()
    comment = models.TextField(blank=True)
    graded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    graded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["submission", "criterion"], name="one_passage_grade_per_criterion")]


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
