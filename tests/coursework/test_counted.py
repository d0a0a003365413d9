"""What counts toward a grade is defined once (models.COUNTED): the queryset, the row and the
leaderboard's SQL agree on every kind of run."""
import itertools

import pytest
from django.db import connection

from coursework.models import Submission
from coursework.services.leaderboard import _counting
from coursework.states import FlagDecision, SubmissionStatus
from tests.factories import make_assignment, make_student, make_submission

pytestmark = pytest.mark.django_db


def test_the_queryset_the_row_and_the_leaderboards_sql_count_the_same_runs(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    task = make_assignment()
    student = make_student()
    kinds = itertools.product([SubmissionStatus.GRADED, SubmissionStatus.FAILED], [False, True],
                              list(FlagDecision), [Submission.GRADED, Submission.CHECK])
    for status, flagged, decision, purpose in kinds:
        make_submission(student, status=status, flagged=flagged, flag_resolution=decision, purpose=purpose,
                        accuracy=0.9, public_accuracy=0.9)
    counted = set(Submission.all_runs.counted().filter(purpose=Submission.GRADED).values_list("pk", flat=True))
    by_row = {s.pk for s in Submission.all_runs.all() if s.counts}
    where, params = _counting(None)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id FROM coursework_submission WHERE {where.format(field='public_accuracy')}",
                       [task.pk, *params])
        by_sql = {row[0] for row in cursor.fetchall()}
    # graded, and unflagged (any recorded decision) or flagged and cleared: 4 of the 24
    assert counted == by_row == by_sql and len(counted) == 4
    assert set(Submission.objects.counted().values_list("pk", flat=True)) == counted
