import os

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from reference_nn.fetch import FetchError, fetch_mnist


class Command(BaseCommand):
    help = "Put the four verified MNIST IDX files in MNIST_DATA_DIR (a second run with valid files does nothing)."

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="user_dir", default=os.environ.get("MNIST_DIR"),
                            help="a directory holding the raw or .gz files (default: $MNIST_DIR)")

    def handle(self, *args, user_dir=None, **options):
        try:
            fetch_mnist(settings.MNIST_DATA_DIR, user_dir=user_dir, log=self.stdout.write)
        except FetchError as exc:
            raise CommandError(str(exc)) from None
