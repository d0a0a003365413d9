from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand

from coursework.models import Assignment

DEMO_ACCOUNTS = (
    # username, password, is TA
    ("student", "student-demo-pass", False),
    ("ta", "ta-demo-pass", True),
)


class Command(BaseCommand):
    help = "Create the TA group, the MNIST assignment and one demo student and TA (safe to run again)."

    def handle(self, *args, **options):
        ta_group, _ = Group.objects.get_or_create(name="TA")
        Assignment.objects.get_or_create(
            slug="mnist", defaults={"title": "Technical project: a deep network on MNIST", "kind": Assignment.NOTEBOOK}
        )
        for username, password, is_ta in DEMO_ACCOUNTS:
            user, created = User.objects.get_or_create(username=username, defaults={"is_staff": is_ta})
            if created:
                user.set_password(password)
                user.save()
            if is_ta:
                user.groups.add(ta_group)
            state = "created" if created else "already there (password unchanged)"
            self.stdout.write(f"demo {'TA' if is_ta else 'student'}: {username} / {password}  [{state}]")
