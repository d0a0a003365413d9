from django.contrib import admin, messages

from grader.services import regrade

from .models import Assignment, Submission


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    list_display = ("title", "slug", "kind", "due_at", "full_credit_accuracy", "zero_credit_accuracy")
    actions = ["regrade_all_submissions"]

    @admin.action(description="Regrade every submission of the selected assignments")
    def regrade_all_submissions(self, request, queryset):
        count = regrade(Submission.objects.filter(assignment__in=queryset).values_list("pk", flat=True))
        self.message_user(request, f"{count} submissions queued for regrading.", messages.SUCCESS)


@admin.register(Submission)
class SubmissionAdmin(admin.ModelAdmin):
    list_display = ("id", "student", "assignment", "status", "accuracy", "flagged", "attempts", "created_at")
    list_filter = ("status", "flagged", "assignment")
    readonly_fields = ("created_at", "started_at", "heartbeat_at", "finished_at", "log_tail", "feedback")
    actions = ["regrade_selected"]

    @admin.action(description="Regrade the selected submissions")
    def regrade_selected(self, request, queryset):
        count = regrade(queryset.values_list("pk", flat=True))
        self.message_user(request, f"{count} submissions queued for regrading (running ones are skipped).", messages.SUCCESS)
