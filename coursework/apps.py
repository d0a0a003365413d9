from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _grant_ta_permissions(sender, **kwargs):
    from .services.staff_access import grant_ta_permissions

    grant_ta_permissions()


def _install_cache_triggers(sender, using, **kwargs):
    from django.db import connections

    from . import cache_triggers

    connection = connections[using]
    if "coursework_queuesversion" in connection.introspection.table_names():  # not after `migrate coursework zero`
        cache_triggers.install(connection)


class CourseworkConfig(AppConfig):
    name = "coursework"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import checks  # noqa: F401  (registers the system checks)

        # After every migrate, once the permissions exist: the TA group may use the admin.
        post_migrate.connect(_grant_ta_permissions, sender=self, dispatch_uid="coursework-ta-permissions")
        # After every migrate, whatever it rebuilt: the cache-version triggers, whole and current.
        post_migrate.connect(_install_cache_triggers, sender=self, dispatch_uid="coursework-cache-triggers")
