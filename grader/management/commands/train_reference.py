from django.conf import settings
from django.core.management.base import BaseCommand

from reference_nn.reference import ensure_reference


class Command(BaseCommand):
    help = "Train the reference network (or load the saved one when its metadata matches) and record its accuracy."

    def handle(self, *args, **options):
        _, meta = ensure_reference(settings.MNIST_DATA_DIR, settings.REFERENCE_MODEL_PATH, log=self.stdout.write)
        self.stdout.write(
            f"reference test accuracy {meta['test_accuracy']:.4f} (seed {meta['seed']}, {meta['epochs']} epochs), "
            f"recorded at {settings.REFERENCE_MODEL_PATH}.json"
        )
