from django.core.management.base import BaseCommand

from coursework.models import Submission
from grader.services import regrade


class Command(BaseCommand):
    help = "Queue submissions for grading again: by id, by status, or all of an assignment."

    def add_arguments(self, parser):
        parser.add_argument("ids", nargs="*", type=int)
        parser.add_argument("--assignment", help="slug: every submission of this assignment")
        parser.add_argument("--status", choices=[s for s, _ in Submission.STATUSES])

    def handle(self, ids, assignment=None, status=None, **options):
        queryset = Submission.objects.all()
        if ids:
            queryset = queryset.filter(pk__in=ids)
        if assignment:
            queryset = queryset.filter(assignment__slug=assignment)
        if status:
            queryset = queryset.filter(status=status)
        if not (ids or assignment or status):
            self.stderr.write("Name submission ids, --assignment or --status.")
            return
        self.stdout.write(f"{regrade(queryset.values_list('pk', flat=True))} submissions queued")
