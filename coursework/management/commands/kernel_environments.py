from django.conf import settings
from django.core.management.base import BaseCommand

from coursework.models import Assignment
from grader import environments


class Command(BaseCommand):
    help = ("List the kernel environments (grader/environments.py) and whether each is built; with --needed, "
            "only the names the course's notebook assignments use, one a line (for `make run`).")

    def add_arguments(self, parser):
        parser.add_argument("--needed", action="store_true", help="only the environments assignments name")

    def handle(self, *args, needed=False, **options):
        used = set(Assignment.objects.of_kind(Assignment.NOTEBOOK).values_list("environment", flat=True))
        for name in settings.GRADER_KERNEL_ENVIRONMENTS:
            if needed:
                if name in used:
                    self.stdout.write(name)
                continue
            state = "built" if environments.is_built(name) else f"not built ({environments.BUILD.get(name, '')})"
            self.stdout.write(f"{name}: {environments.venv_for(name)} [{state}]"
                              + ("  used by an assignment" if name in used else ""))
