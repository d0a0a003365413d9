from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from coursework.services import backups


class Command(BaseCommand):
    help = ("Replace the database and the media directory with a backup's, then check them against it. "
            "Stop the web and the workers first.")

    def add_arguments(self, parser):
        parser.add_argument("archive", type=Path)
        parser.add_argument("--yes", action="store_true", help="replace this site's data without asking")

    def handle(self, archive, yes=False, **options):
        if not archive.is_file():
            raise CommandError(f"{archive} is not a file")
        if not yes and input(f"Replace this site's database and media with {archive}? Type yes: ").strip() != "yes":
            raise CommandError("nothing restored")
        try:
            done = backups.restore(archive)
        except backups.BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"restored {done.rows} rows and {done.files} media files from {done.path}; "
                          "both match the backup's manifest")
