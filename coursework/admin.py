from django.contrib import admin

from .models import Assignment, Submission


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    list_display = ("title", "slug", "kind", "due_at", "full_credit_accuracy")


@admin.register(Submission)
class SubmissionAdmin(admin.ModelAdmin):
    list_display = ("id", "student", "assignment", "status", "accuracy", "attempts", "created_at")
    list_filter = ("status", "assignment")
    readonly_fields = ("created_at", "started_at", "heartbeat_at", "finished_at")
