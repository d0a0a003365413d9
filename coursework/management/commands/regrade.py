from django.core.management.base import BaseCommand, CommandError

from coursework.grading import regrade
from coursework.models import Submission
from coursework.states import SubmissionStatus


class Command(BaseCommand):
    help = "Queue submissions for grading again (audited): by id, by status, or all of an assignment."

    def add_arguments(self, parser):
        parser.add_argument("ids", nargs="*", type=int)
        parser.add_argument("--assignment", help="slug: every submission of this assignment")
        parser.add_argument("--status", choices=SubmissionStatus.values)

    def handle(self, ids, assignment=None, status=None, **options):
        if not (ids or assignment or status):
            raise CommandError("Name submission ids, --assignment or --status.")
        queryset = Submission.objects.all()
        if ids:
            queryset = queryset.filter(pk__in=ids)
        if assignment:
            queryset = queryset.filter(assignment__slug=assignment)
        if status:
            queryset = queryset.filter(status=status)
        count = regrade.regrade(queryset.values_list("pk", flat=True), None, via="manage.py regrade")
        self.stdout.write(f"{count} submissions queued")
