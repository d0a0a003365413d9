from django.core.management.base import BaseCommand

from coursework.services.content import load_content


class Command(BaseCommand):
    help = "Load the unit's pages, synthesis questions and essay prompts from content/ (safe to run again)."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="overwrite pages that staff edited in the admin")

    def handle(self, *args, force=False, **options):
        report = load_content(force=force)
        for label, slugs in (("created", report.created), ("updated", report.updated),
                             ("unchanged", report.unchanged), ("kept staff edits", report.kept_staff_edits)):
            if slugs:
                self.stdout.write(f"{label}: {', '.join(slugs)}")
