from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=False)
def refuse_default_secret_key_in_production(app_configs, **kwargs):
    """A production start (DEBUG off) with the built-in key would let anyone forge sessions."""
    if not settings.DEBUG and settings.SECRET_KEY == settings.DEFAULT_SECRET_KEY:
        return [
            Error(
                "SECRET_KEY is the built-in development key while DEBUG is off.",
                hint="Set the SECRET_KEY environment variable to a long random value.",
                id="coursework.E001",
            )
        ]
    return []
