"""Where a pending run stands, for its page: its place in the grading queue, how long
recent runs took, how long it has waited, and a rough estimate of when its result comes.

The place is the run's number in the dispatcher's own line (dispatch.QUEUE_LINE): rows
already sent to the broker first, in the order they were sent; then the unsent ones in
turn. A place can therefore grow as well as fall: another student's first run of the hour
goes before a second run queued earlier. tests/coursework/test_queue.py checks that the
places shown are the order the runs then go.
"""
from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

from django.db import connection
from django.utils import timezone

from ..models import Submission
from ..states import SubmissionStatus
from .dispatch import QUEUE_LINE, turn_parameters

# Recent finished runs whose duration (claim to stored result) makes the median.
RECENT_RUNS = 20

QUEUE_PLACE = f"""
WITH line AS ({QUEUE_LINE})
SELECT
    (SELECT place - 1 FROM line WHERE id = %(id)s),
    (SELECT COUNT(*) FROM coursework_submission WHERE status = %(running)s),
    (SELECT COUNT(*) FROM line WHERE id = %(id)s)
"""


@dataclass(frozen=True)
class QueuePlace:
    queued: bool  # waiting for a worker (else being graded)
    ahead: int  # queued runs that go before this one
    running: int  # runs being graded now, this one included if it is
    waited_s: float  # since it was queued, or since its run began
    typical_s: float | None  # the median duration of recent runs, None before any

    @property
    def position(self) -> int:
        return self.ahead + 1

    @property
    def estimate_s(self) -> float | None:
        """Seconds until the result, roughly: the runs in front go through the workers busy
        now (at least one) in waves of a typical run each, then this one runs."""
        if self.typical_s is None:
            return None
        if not self.queued:
            return max(0.0, self.typical_s - self.waited_s)
        slots = max(1, self.running)
        return (math.ceil((self.ahead + self.running) / slots) + 1) * self.typical_s


def ahead_and_running(submission_id: int) -> tuple[int, int] | None:
    """(queued runs before this one, runs being graded), or None if it is not queued."""
    with connection.cursor() as cursor:
        cursor.execute(QUEUE_PLACE, turn_parameters(id=submission_id))
        ahead, running, found = cursor.fetchone()
    return (ahead, running) if found else None


def typical_run_seconds(assignment_id: int) -> float | None:
    """The median time from claim to stored result of the task's latest finished runs
    (read off the index on assignment and finished_at)."""
    rows = (Submission.all_runs.filter(assignment_id=assignment_id, finished_at__isnull=False,
                                       started_at__isnull=False,
                                       status__in=[SubmissionStatus.GRADED, SubmissionStatus.FAILED])
            .order_by("-finished_at").values_list("started_at", "finished_at")[:RECENT_RUNS])
    durations = [(finished - started).total_seconds() for started, finished in rows if finished >= started]
    return statistics.median(durations) if durations else None


def place_of(submission: Submission) -> QueuePlace | None:
    """Where a pending run stands now; None once it has finished."""
    now = timezone.now()
    if submission.status == SubmissionStatus.RUNNING and submission.started_at:
        running = Submission.all_runs.filter(status=SubmissionStatus.RUNNING).count()
        return QueuePlace(False, 0, running, max(0.0, (now - submission.started_at).total_seconds()),
                          typical_run_seconds(submission.assignment_id))
    if submission.status != SubmissionStatus.QUEUED:
        return None
    counts = ahead_and_running(submission.pk)
    if counts is None:  # it left the queue meanwhile: the next poll shows it running
        return None
    waited = (now - submission.queued_at).total_seconds() if submission.queued_at else 0.0
    return QueuePlace(True, counts[0], counts[1], max(0.0, waited), typical_run_seconds(submission.assignment_id))
