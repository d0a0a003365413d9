from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.utils import timezone

from coursework.models import Assignment, Profile, StudyGroup
from coursework.services.rubrics import seed_defaults
from coursework.services.staff_access import grant_ta_permissions

DEMO_ACCOUNTS = (
    # username, password, is TA, display name, alias
    ("student", "student-demo-pass", False, "Demo Student", "demo-learner"),
    ("ta", "ta-demo-pass", True, "Demo TA", "demo-ta"),
)
ASSIGNMENTS = (
    ("mnist", "Technical project: a deep network on MNIST", Assignment.NOTEBOOK),
    ("essays", "Non-technical project: three essays", Assignment.ESSAYS),
    ("synthesis", "Synthesis questions", Assignment.SYNTHESIS),
)
# The same project with PyTorch (its own template and solution, coursework.services.project_files),
# graded in the pytorch kernel environment. Made after the three above, so the unit's
# notebook task (Assignment.objects.the) stays the NumPy one.
PYTORCH_PROJECT = ("mnist-pytorch", "Technical project, PyTorch variant: an MLP on MNIST", "pytorch")


class Command(BaseCommand):
    help = ("Load the unit's content, create the assignments with their suggested rubrics, a group, and one demo "
            "student and TA (safe to run again).")

    def handle(self, *args, **options):
        call_command("load_content", stdout=self.stdout)
        ta_group = grant_ta_permissions()
        due = timezone.now().replace(hour=23, minute=59, second=0, microsecond=0) + timedelta(days=14)
        for slug, title, kind in ASSIGNMENTS:
            Assignment.objects.get_or_create(slug=slug, defaults={"title": title, "kind": kind, "due_at": due})
        slug, title, environment = PYTORCH_PROJECT
        Assignment.objects.get_or_create(slug=slug, defaults={"title": title, "kind": Assignment.NOTEBOOK, "due_at": due,
                                                              "environment": environment})
        added = seed_defaults()
        if added:
            self.stdout.write(f"suggested rubric criteria added: {added}")
        study_group, _ = StudyGroup.objects.get_or_create(name="Group A")
        for username, password, is_ta, display_name, alias in DEMO_ACCOUNTS:
            user, created = User.objects.get_or_create(username=username, defaults={"is_staff": is_ta})
            if created:
                user.set_password(password)
                user.save()
            Profile.objects.get_or_create(user=user, defaults={"display_name": display_name, "leaderboard_alias": alias,
                                                               "group": None if is_ta else study_group})
            if is_ta:
                user.groups.add(ta_group)
                if study_group.ta_id is None:
                    study_group.ta = user
                    study_group.save()
            state = "created" if created else "already there (password unchanged)"
            self.stdout.write(f"demo {'TA' if is_ta else 'student'}: {username} / {password}  [{state}]")
        self.stdout.write(f"course join code for sign-up: {settings.COURSE_JOIN_CODE}")
