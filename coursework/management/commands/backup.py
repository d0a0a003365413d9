from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from coursework.services import backups


class Command(BaseCommand):
    help = "Back up the database and the media directory into one .tar.gz (see docs/operations.md)."

    def add_arguments(self, parser):
        parser.add_argument("destination", type=Path, help="a file name, or a directory to write a dated backup in")

    def handle(self, destination, **options):
        try:
            done = backups.backup(destination)
        except backups.BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"backed up {done.rows} rows and {done.files} media files to {done.path} "
                          f"({done.bytes / 1e6:.1f} MB)")
