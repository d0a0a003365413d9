from django import forms
from django.contrib import admin, messages
from django.core.paginator import Paginator
from django.db.models import Count
from django.utils.functional import cached_property

from .models import (Appeal, Assignment, Essay, EssayPrompt, EssaySubmission, Extension, Notification, Page, Profile,
                     Question, QuestionSet, RubricComment, RubricCriterion, RubricLevel, StudyGroup, Submission,
                     SynthesisResponse)
from .grading import regrade


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    list_display = ("title", "slug", "kind", "due_at", "late_policy", "lock_at", "full_credit_accuracy",
                    "daily_submission_limit")
    actions = ["regrade_all_submissions"]

    def save_model(self, request, obj, form, change):
        from .services import deadlines

        changed = [f for f in deadlines.TERMS_FIELDS if f in form.changed_data]
        if change and changed:
            # The same path as the staff pages: audited, and work already handed in judged again.
            deadlines.set_terms(request.user, obj, **{f: getattr(obj, f) for f in changed})
        super().save_model(request, obj, form, change)

    @admin.action(description="Regrade every submission of the selected assignments")
    def regrade_all_submissions(self, request, queryset):
        ids = Submission.objects.filter(assignment__in=queryset).values_list("pk", flat=True)
        count = regrade.regrade(ids, request.user, via="admin: regrade every submission of an assignment")
        self.message_user(request, f"{count} submissions queued for regrading.", messages.SUCCESS)


class CappedCountPaginator(Paginator):
    """Counts at most COUNT_CAP + 1 rows. A COUNT(*) over every submission grows with the
    class (the list's p95 was 69 ms at 20,000 rows and 171 ms at 200,000, from
    benchmarks/web_latency.py --growth); a TA filters long before page 200. The list then
    says "more than 10000" (templates/admin/coursework/submission/pagination.html)."""

    COUNT_CAP = 10_000

    @cached_property
    def count(self) -> int:
        return self.object_list[: self.COUNT_CAP + 1].count()


@admin.register(Submission)
class SubmissionAdmin(admin.ModelAdmin):
    list_display = ("id", "student", "assignment", "status", "accuracy", "flagged", "late", "attempts", "created_at")
    list_filter = ("status", "flagged", "late", "assignment")
    readonly_fields = ("created_at", "started_at", "heartbeat_at", "finished_at", "log_tail", "feedback")
    actions = ["regrade_selected"]
    list_select_related = ("student", "assignment")
    list_per_page = 50
    paginator = CappedCountPaginator
    # A filtered list counts its rows once, not twice (the "N total" count reads the whole table).
    show_full_result_count = False

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.resolver_match and request.resolver_match.url_name.endswith("_changelist"):
            # The list never shows the feedback or the sandbox log (tens of kilobytes a row).
            queryset = queryset.defer("feedback", "log_tail", "message", "flag_reason")
        return queryset

    @admin.action(description="Regrade the selected submissions")
    def regrade_selected(self, request, queryset):
        count = regrade.regrade(queryset.values_list("pk", flat=True), request.user, via="admin: regrade selected")
        self.message_user(request, f"{count} submissions queued for regrading (running ones are skipped).", messages.SUCCESS)


@admin.register(Page)
class PageAdmin(admin.ModelAdmin):
    list_display = ("title", "slug", "kind", "order")
    readonly_fields = ("source_hash", "loaded_body_hash")


class QuestionInline(admin.TabularInline):
    model = Question
    extra = 0


@admin.register(QuestionSet)
class QuestionSetAdmin(admin.ModelAdmin):
    list_display = ("page", "optional")
    inlines = [QuestionInline]


@admin.register(EssayPrompt)
class EssayPromptAdmin(admin.ModelAdmin):
    list_display = ("order", "text")


class EssayInline(admin.StackedInline):
    model = Essay
    extra = 0
    readonly_fields = ("prompt", "text", "meaningful_words", "source_name")


@admin.register(EssaySubmission)
class EssaySubmissionAdmin(admin.ModelAdmin):
    list_display = ("student", "version", "submitted_at", "late", "status")
    list_filter = ("status", "late")
    inlines = [EssayInline]


@admin.register(SynthesisResponse)
class SynthesisResponseAdmin(admin.ModelAdmin):
    list_display = ("student", "question_set", "status", "submitted_at", "late")
    list_filter = ("status", "late")


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ("display_name", "user", "group", "email_notifications")
    list_filter = ("group",)
    search_fields = ("display_name", "user__username", "user__email")
    list_select_related = ("user", "group")


@admin.register(StudyGroup)
class StudyGroupAdmin(admin.ModelAdmin):
    list_display = ("name", "ta", "size")
    list_select_related = ("ta",)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(size=Count("members"))

    @admin.display(ordering="size", description="members")
    def size(self, group):
        return group.size


class LevelInline(admin.TabularInline):
    model = RubricLevel
    extra = 0


class CommentInline(admin.TabularInline):
    model = RubricComment
    extra = 0


@admin.register(RubricCriterion)
class RubricCriterionAdmin(admin.ModelAdmin):
    list_display = ("name", "assignment", "question_set", "order", "max_points", "bonus")
    list_filter = ("assignment", "question_set")
    list_select_related = ("assignment", "question_set__page")
    inlines = [LevelInline, CommentInline]


class ExtensionForm(forms.ModelForm):
    class Meta:
        model = Extension
        fields = ("assignment", "student", "group", "due_at", "reason")

    def clean(self):
        from .services import deadlines

        data = super().clean()
        if data.get("assignment"):
            problem = deadlines.check_extension(data["assignment"], data.get("due_at"), data.get("student"),
                                                data.get("group"))
            if problem:
                raise forms.ValidationError(problem)
        return data


@admin.register(Extension)
class ExtensionAdmin(admin.ModelAdmin):
    form = ExtensionForm
    list_display = ("assignment", "student", "group", "due_at", "granted_by", "granted_at")
    list_filter = ("assignment",)
    list_select_related = ("assignment", "student", "group", "granted_by")
    raw_id_fields = ("student",)
    readonly_fields = ("granted_by", "granted_at")

    def save_model(self, request, obj, form, change):
        # The same rules and audit as the staff pages: one way to grant an extension.
        from .services import deadlines

        granted = deadlines.grant_extension(request.user, obj.assignment, obj.due_at, student=obj.student,
                                            group=obj.group, reason=obj.reason)
        obj.pk = granted.pk


@admin.register(Appeal)
class AppealAdmin(admin.ModelAdmin):
    list_display = ("what", "student", "status", "created_at", "outcome", "answered_by")
    list_filter = ("status", "outcome")
    list_select_related = ("student", "answered_by")
    readonly_fields = [f.name for f in Appeal._meta.fields]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("title", "recipient", "kind", "created_at", "read_at", "email_status", "email_attempts")
    list_filter = ("kind", "email_status")
    list_select_related = ("recipient",)
    readonly_fields = [f.name for f in Notification._meta.fields]


from .models import LtiPlatform  # noqa: E402  (kept apart: merged from the LTI branch)


@admin.register(LtiPlatform)
class LtiPlatformAdmin(admin.ModelAdmin):
    """An LMS the site is registered in as an LTI 1.3 tool (docs/operations.md)."""

    list_display = ("name", "issuer", "client_id")
