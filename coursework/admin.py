from django.contrib import admin, messages

from .models import (Assignment, Essay, EssayPrompt, EssaySubmission, Page, Profile, Question, QuestionSet,
                     StudyGroup, Submission, SynthesisResponse)
from .services import grading


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    list_display = ("title", "slug", "kind", "due_at", "full_credit_accuracy", "daily_submission_limit")
    actions = ["regrade_all_submissions"]

    @admin.action(description="Regrade every submission of the selected assignments")
    def regrade_all_submissions(self, request, queryset):
        ids = Submission.objects.filter(assignment__in=queryset).values_list("pk", flat=True)
        count = grading.regrade(ids, request.user, via="admin: regrade every submission of an assignment")
        self.message_user(request, f"{count} submissions queued for regrading.", messages.SUCCESS)


@admin.register(Submission)
class SubmissionAdmin(admin.ModelAdmin):
    list_display = ("id", "student", "assignment", "status", "accuracy", "flagged", "late", "attempts", "created_at")
    list_filter = ("status", "flagged", "late", "assignment")
    readonly_fields = ("created_at", "started_at", "heartbeat_at", "finished_at", "log_tail", "feedback")
    actions = ["regrade_selected"]
    list_select_related = ("student", "assignment")
    list_per_page = 50
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
        count = grading.regrade(queryset.values_list("pk", flat=True), request.user, via="admin: regrade selected")
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


admin.site.register(Profile)
admin.site.register(StudyGroup)
