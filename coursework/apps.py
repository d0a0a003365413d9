from django.apps import AppConfig


class CourseworkConfig(AppConfig):
    name = "coursework"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import checks  # noqa: F401  (registers the system checks)
