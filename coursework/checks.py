import os

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register


@register(Tags.security, deploy=False)
def refuse_a_public_secret_key_in_production(app_configs, **kwargs):
    """A production start (DEBUG off) with a key anyone can read would let them forge
    sessions and the signed links to executed notebooks."""
    if not settings.DEBUG and (settings.SECRET_KEY in settings.KNOWN_PUBLIC_SECRET_KEYS or len(settings.SECRET_KEY) < 32):
        return [
            Error(
                "SECRET_KEY is a published development key or shorter than 32 characters while DEBUG is off.",
                hint="Unset SECRET_KEY to use the key generated in var/secret_key, or set it to a long random value.",
                id="coursework.E001",
            )
        ]
    return []


@register(Tags.security)
def refuse_the_demo_join_code_behind_single_sign_on(app_configs, **kwargs):
    """Behind a university's provider the join code is all that keeps everyone there out of
    the course; the demo's is in the README."""
    if (not settings.DEBUG and settings.SSO_ENABLED and settings.SSO_JOIN_CODE_REQUIRED
            and settings.COURSE_JOIN_CODE == settings.DEMO_JOIN_CODE):
        return [Error("Single sign-on is on with the demo's published COURSE_JOIN_CODE while DEBUG is off.",
                      hint="Set COURSE_JOIN_CODE to the code your TAs hand out (or SSO_JOIN_CODE_REQUIRED=0 where "
                           "the provider admits only this course's people).",
                      id="coursework.E006")]
    return []


@register()
def grading_sandbox_is_a_known_mode(app_configs, **kwargs):
    if settings.GRADER_SANDBOX not in ("bwrap", "none"):
        return [Error(f"GRADER_SANDBOX={settings.GRADER_SANDBOX!r} is not a sandbox mode.",
                      hint="Use 'bwrap' (always, in production) or 'none' (development machines only).",
                      id="coursework.E002")]
    return []


@register()
def group_assignment_is_a_known_mode(app_configs, **kwargs):
    if settings.COURSE_GROUP_ASSIGNMENT not in ("choose", "round_robin"):
        return [Error(f"COURSE_GROUP_ASSIGNMENT={settings.COURSE_GROUP_ASSIGNMENT!r} is not a way to assign groups.",
                      hint="Use 'choose' (students pick a group at sign-up) or 'round_robin' (the course assigns one).",
                      id="coursework.E003")]
    return []


@register()
def ladder_margin_is_not_negative(app_configs, **kwargs):
    """A negative margin would let a worse upload replace a student's shown public score."""
    if settings.LADDER_MARGIN_POINTS is not None and settings.LADDER_MARGIN_POINTS < 0:
        return [Error(f"LADDER_MARGIN_POINTS={settings.LADDER_MARGIN_POINTS} is negative.",
                      hint="Use percentage points of accuracy, e.g. 0.2; 0 shows every gain; unset for the default.",
                      id="coursework.E004")]
    return []


# Environment variables read under another name before; one still set would be ignored
# without a word, and the site would run on the default instead of the operator's value.
RENAMED_ENVIRONMENT = {"GRADER_PREFLIGHT_SAMPLE": "GRADER_CHECK_SAMPLE",
                       "NOTEBOOK_PREFLIGHT_PER_DAY": "NOTEBOOK_CHECKS_PER_DAY"}


@register()
def no_setting_is_left_under_an_old_name(app_configs, **kwargs):
    return [Warning(f"{old} is set in the environment, but that name is no longer read.",
                    hint=f"Rename it {new} (the default applies until then).", id="coursework.W001")
            for old, new in RENAMED_ENVIRONMENT.items() if old in os.environ]
