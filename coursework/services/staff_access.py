"""What the TA group may do in Django's admin: build rubrics, edit the unit's content,
manage groups, deadlines and extensions. Granted after every `migrate` (apps.py) and by
`seed_demo`, so a fresh database and an old one end up the same."""
from __future__ import annotations

from django.contrib.auth.models import Group, Permission

TA_GROUP = "TA"
EVERYTHING = ("view", "add", "change", "delete")
TA_PERMISSIONS = {
    "rubriccriterion": EVERYTHING, "rubriclevel": EVERYTHING, "rubriccomment": EVERYTHING,
    "studygroup": EVERYTHING, "extension": EVERYTHING,
    "page": ("view", "change"), "questionset": ("view", "change"), "question": EVERYTHING,
    "essayprompt": EVERYTHING,
    # Deadlines, the late policy and the rubric live on the assignment; creating or deleting
    # tasks stays with the instructor (a superuser).
    "assignment": ("view", "change"),
    "profile": ("view", "change"),
    "appeal": ("view",), "notification": ("view",), "auditevent": ("view",),
    "submission": ("view",), "synthesisresponse": ("view",), "essaysubmission": ("view",),
}


def codenames() -> list[str]:
    return [f"{action}_{model}" for model, actions in TA_PERMISSIONS.items() for action in actions]


def grant_ta_permissions() -> Group:
    """Create the TA group if needed and give it the permissions above (idempotent)."""
    group, _ = Group.objects.get_or_create(name=TA_GROUP)
    wanted = Permission.objects.filter(content_type__app_label="coursework", codename__in=codenames())
    group.permissions.add(*wanted)
    return group
