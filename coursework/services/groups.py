"""Study groups route work to TAs: a student joins one at sign-up (chosen, or assigned by
the course), staff move students between groups, and each TA's queues show their own
groups (StudyGroup.ta) first."""
from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, Q

from ..models import Profile, StudyGroup
from .audit import audit

ROUND_ROBIN = "round_robin"


class GroupRefused(ValueError):
    """A move staff cannot make as asked; the message says why."""


class UnknownStudent(LookupError):
    """No one student answers to what staff typed; the message says why."""


def chooses_at_signup() -> bool:
    return settings.COURSE_GROUP_ASSIGNMENT != ROUND_ROBIN and StudyGroup.objects.exists()


def group_for_new_student(chosen: StudyGroup | None) -> StudyGroup | None:
    """The group a student who signs up joins: their choice, or under round-robin the group
    with the fewest members (the oldest group on a tie), so groups fill evenly. Call inside
    the sign-up's transaction: the groups are locked so two sign-ups at once count right."""
    if settings.COURSE_GROUP_ASSIGNMENT != ROUND_ROBIN:
        return chosen
    ids = list(StudyGroup.objects.select_for_update().order_by("pk").values_list("pk", flat=True))
    if not ids:
        return None
    sizes = dict(Profile.objects.filter(group_id__in=ids).values("group_id").annotate(n=Count("pk"))
                 .values_list("group_id", "n"))
    return StudyGroup.objects.get(pk=min(ids, key=lambda pk: (sizes.get(pk, 0), pk)))


def groups_led_by(user) -> tuple[int, ...]:
    return tuple(StudyGroup.objects.filter(ta=user).values_list("pk", flat=True))


def overview():
    """Every group with its TA and member count (one query)."""
    return StudyGroup.objects.select_related("ta__profile").annotate(
        size=Count("members", filter=Q(members__user__is_staff=False)))


def students():
    return get_user_model().objects.filter(is_staff=False, is_active=True)


SEARCH_MIN_CHARS = 2  # one letter matches half the class: no use as a list to pick from


def find_students(text: str, limit: int = 10) -> list:
    """Students whose display name, username or e-mail contains `text`, for a picker: TAs
    know students by name, while the forms need one account."""
    text = text.strip()
    if len(text) < SEARCH_MIN_CHARS:
        return []
    matching = Q(username__icontains=text) | Q(email__icontains=text) | Q(profile__display_name__icontains=text)
    return list(students().filter(matching).select_related("profile").order_by("profile__display_name", "username")
                [:limit])


def picker_label(student) -> str:
    """How a picker lists a student: the name TAs know, then what tells two of one name apart."""
    name = getattr(getattr(student, "profile", None), "display_name", "") or student.get_username()
    return " · ".join(part for part in (name, student.get_username(), student.email) if part)


def student_called(text: str):
    """The one student whose username, e-mail or display name is `text` (any case), tried
    in that order, since a username and an e-mail name one account and a name may not.
    Raises UnknownStudent saying why when none or several match."""
    text = text.strip()
    for field in ("username", "email", "profile__display_name"):
        found = list(students().filter(**{f"{field}__iexact": text}).order_by("username")[:6])
        if len(found) == 1:
            return found[0]
        if found:
            names = ", ".join(s.get_username() for s in found[:5])
            raise UnknownStudent(f"Two or more students are called \u201c{text}\u201d: type the username or e-mail "
                                 f"instead ({names}).")
    raise UnknownStudent(f"No student has the name, username or e-mail \u201c{text}\u201d.")


def unassigned():
    """Students in no group (including those with no profile yet)."""
    return students().filter(Q(profile__isnull=True) | Q(profile__group__isnull=True)).select_related(
        "profile").order_by("username")


def members(group: StudyGroup):
    return students().filter(profile__group=group).select_related("profile").order_by("username")


@transaction.atomic
def move(actor, student_ids, group: StudyGroup | None) -> int:
    """Put these students in `group` (None: in no group), audited per student."""
    student_ids = [int(pk) for pk in student_ids]
    if not student_ids:
        raise GroupRefused("Tick the students to move first.")
    users = list(students().filter(pk__in=student_ids).select_related("profile__group"))
    if len(users) != len(set(student_ids)):
        raise GroupRefused("Some of those are not students of this course; nobody was moved.")
    moved = 0
    for user in users:
        profile = getattr(user, "profile", None)
        if profile is None:
            profile = Profile.objects.create(user=user, display_name=user.get_username(),
                                             leaderboard_alias=f"student-{user.pk}")
        before = profile.group.name if profile.group else None
        if profile.group_id == (group.pk if group else None):
            continue
        profile.group = group
        profile.save(update_fields=["group"])
        audit(actor, "group_changed", profile, student=user, before=before, after=group.name if group else None)
        moved += 1
    return moved
