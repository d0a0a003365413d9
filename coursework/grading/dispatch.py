"""Sending grading work to the broker, and whose turn it is: the Submission row is the
outbox, and the dispatcher sends the next queued rows in turn, as many as the broker should
hold. The copy check is sent from here too."""
from __future__ import annotations

import logging
from datetime import timedelta

from celery import current_app
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from .. import states
from ..models import Submission
from ..services import broker
from ..states import SubmissionStatus

log = logging.getLogger(__name__)

GRADE_TASK = "coursework.tasks.grade_submission"
COPY_TASK = "coursework.tasks.check_copies"


def send_grading_task(submission_id: int) -> None:
    current_app.send_task(GRADE_TASK, args=[submission_id])


def send_copy_check(submission_id: int) -> None:
    """Compare a stored grade with other students' (copies.check), after its commit: the
    comparison needs the row as stored, and the grading slot is free for the next notebook."""
    # Lost only until either side is graded again: the later of two copies finds the earlier.
    broker.send_or_leave(COPY_TASK, submission_id, "the copy check of submission")


# Who goes next, in SQL: the one definition of whose turn it is, for the dispatcher and for
# the place a pending run's page shows (queue.py). Each requester's runs asked for in the
# last GRADER_FAIR_WINDOW_S (finished ones too) are numbered in the order they were asked
# for; unsent queued rows go out by (that turn, when queued). A student's second notebook
# so waits behind every other student's first, even once their first is graded, and a TA's
# regrade of 500 notebooks is one requester among the students, not 500 rows in front of them.
RECENT_TURNS = """
    SELECT id, status, sent_at, queued_at,
           ROW_NUMBER() OVER (PARTITION BY queued_by_id ORDER BY queued_at, id) AS turn
    FROM coursework_submission
    WHERE queued_at >= %(since)s OR status IN (%(queued)s, %(running)s)
"""
# The line: every queued row, numbered in the order it reaches a worker. Rows already sent
# go first, in the order they were sent (the broker hands them out first in, first out; the
# rows of one dispatch share one sent_at and went out in turn order); then the unsent ones
# in turn. The dispatcher sends the first unsent rows of the line; a page shows a run's place.
QUEUE_LINE = f"""
    SELECT id, sent_at, ROW_NUMBER() OVER (ORDER BY sent_at IS NULL, sent_at, turn, queued_at, id) AS place
    FROM ({RECENT_TURNS}) AS recent
    WHERE status = %(queued)s
"""
NEXT_IN_TURN = f"""
SELECT id FROM ({QUEUE_LINE}) AS line
WHERE sent_at IS NULL
ORDER BY place
LIMIT %(limit)s
"""


def turn_parameters(**more) -> dict:
    """The parameters RECENT_TURNS (and so QUEUE_LINE) takes, as of now, with `more`."""
    since = timezone.now() - timedelta(seconds=settings.GRADER_FAIR_WINDOW_S)
    return {"since": since, "queued": SubmissionStatus.QUEUED.value, "running": SubmissionStatus.RUNNING.value,
            **more}


def next_in_turn(limit: int) -> list[int]:
    """The ids of the next `limit` queued rows to send, fairly across requesters."""
    with connection.cursor() as cursor:
        cursor.execute(NEXT_IN_TURN, turn_parameters(limit=limit))
        return [row[0] for row in cursor.fetchall()]


def _serialise_dispatchers() -> None:
    """One dispatcher at a time, or two could each see the same free room and both fill it.
    SQLite already runs one write transaction at a time (settings: IMMEDIATE)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [DISPATCH_LOCK_KEY])


DISPATCH_LOCK_KEY = 0x6772616465  # any constant this site alone uses


def dispatch() -> int:
    """Send the next grading tasks, as many as the broker should hold; return how many went.

    The Submission row is the outbox, and the broker holds only what a worker will start
    soon: at most GRADER_DISPATCH_AHEAD messages that no worker has claimed yet. Every
    upload, regrade, claim (a slot is taken: top the broker up) and sweep calls this. If
    the broker is down the rows stay queued and unsent, so an upload accepted during a
    Redis outage is graded afterwards, in its turn, not lost.
    """
    with transaction.atomic():
        _serialise_dispatchers()
        room = settings.GRADER_DISPATCH_AHEAD - Submission.all_runs.filter(states.waiting_in_broker()).count()
        ids = states.mark_sent(next_in_turn(room)) if room > 0 else []
    sent = 0
    for pk in ids:
        try:
            send_grading_task(pk)
            sent += 1
        except Exception as exc:  # kombu raises several kinds (OperationalError, ConnectionError, timeouts)
            log.warning("could not send submission %s to the broker (%s); it waits, queued, for the next dispatch",
                        pk, exc)
            for unsent in ids[sent:]:
                states.unmark_sent(unsent)
            break
    return sent


def dispatch_quietly() -> None:
    """dispatch() for paths whose own work is already safe (an upload stored, a claim made):
    a failure here only delays sending, which the sweeper retries."""
    try:
        dispatch()
    except Exception:
        log.exception("dispatching grading tasks failed; the sweeper will try again")
