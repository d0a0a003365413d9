import json
import shutil
import uuid
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from grader import environments, integrity
from grader.errors import SystemFault
from grader.notebooks import InvalidNotebook, NotebookLimits, validate_notebook_bytes
from grader.pipeline import grade_notebook_bytes
from grader.limits import Limits


class Command(BaseCommand):
    help = "Grade a local notebook through the same sandbox and scoring as the site, and print the result."

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--json", action="store_true", help="print the whole result as JSON")
        parser.add_argument("--environment", default=environments.DEFAULT, choices=list(settings.GRADER_KERNEL_ENVIRONMENTS),
                            help="the kernel environment to run it with, as an assignment names it (default numpy)")

    def handle(self, path, json_output=False, **options):
        json_output = options.get("json", False)
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc}") from None
        try:
            validate_notebook_bytes(data, settings.MAX_UPLOAD_BYTES, NotebookLimits.from_settings())
        except InvalidNotebook as exc:
            raise CommandError(str(exc)) from None
        job_dir = Path(settings.GRADER_WORK_ROOT) / f"cli-{uuid.uuid4().hex}"
        try:
            with environments.using(options.get("environment") or environments.DEFAULT):
                result = grade_notebook_bytes(data, job_dir, Limits.from_settings())
            # The site's flags too, at its default bars (an assignment on the site may set its own).
            result = integrity.screen(result, data, settings.FLAG_ACCURACY_ABOVE, settings.FLAG_EMBEDDED_DATA_BYTES)
        except SystemFault as exc:
            raise CommandError(f"the grader could not run: {exc}") from None
        finally:
            shutil.rmtree(job_dir, ignore_errors=True)
        if json_output:
            shown = {**{k: v for k, v in vars(result).items() if k not in ("notebook", "html")},
                     "feedback": result.feedback.to_json()}  # as the site stores it
            self.stdout.write(json.dumps(shown, indent=2, default=str))
            return
        self.stdout.write(f"{result.status}: {result.message}")
        if result.accuracy is not None:
            fb = result.feedback
            self.stdout.write(f"  public half {result.public_accuracy:.4f}, private half {result.private_accuracy:.4f}")
            self.stdout.write(f"  reference {fb['reference']['accuracy']:.4f} ({fb['reference']['description']})")
            self.stdout.write("  per digit: " + " ".join(f"{d}:{a:.3f}" for d, a in enumerate(fb["per_digit"])))
            probe = fb["probe"]
            self.stdout.write(f"  probe: {probe['noisy_accuracy']:.4f}, gap {probe['gap']:+.4f}, right->wrong "
                              f"{probe['right_to_wrong']}, wrong->right {probe['wrong_to_right']}, z {probe['z']:+.1f}")
            self.stdout.write(f"  embedded data: {fb['embedded']['bytes']} bytes compressed"
                              + (f"  FLAGGED ({', '.join(fb['flags'])})" if result.flagged else ""))
        self.stdout.write(f"  ran {result.run_seconds:.1f} s, peak memory {result.peak_memory_mb or 0:.0f} MB")
