"""Counters the caches key on (standings, queues, content) and the sweeper's heartbeat."""
from django.db import models

from .course import Assignment


class StandingsVersion(models.Model):
    """How many times an assignment's leaderboard has changed: the key of its cached table.

    Database triggers (see coursework/cache_triggers.py) count every write that can move
    the standings, whichever code makes it: a grade stored or withdrawn by a regrade, a
    flag resolved, a row deleted, a student's leaderboard name changed. Reading it is one
    primary-key lookup, however many submissions there are.
    """

    # No constraint in the database: emptying every table at once (manage.py flush, the
    # restore drill's wipe) deletes the graded submissions after the counters, and their
    # trigger then bumps a counter for a task deleted in the same transaction, which a
    # constraint refused. A counter left for a deleted task harms nothing.
    assignment = models.OneToOneField(Assignment, primary_key=True, on_delete=models.CASCADE, related_name="standings",
                                      db_constraint=False)
    version = models.BigIntegerField(default=0)


class QueuesVersion(models.Model):
    """How many times anything the TA queue pages show has changed: the key of their cached
    rendering. One row (id 1), kept like StandingsVersion by database triggers: an item
    entering, leaving or changing in a queue, a name, group, page title or task renamed.
    Drafts being autosaved, submissions being queued, claimed and graded cleanly do not
    touch it.
    """

    version = models.BigIntegerField(default=0)


class ContentVersion(models.Model):
    """How many times the unit's content has changed: the key of the pages kept for visitors
    who are not signed in (coursework/views/visitors.py). One row (id 1), kept like
    StandingsVersion by database triggers on the pages, question sets, questions and tasks,
    whichever code writes them: the content loader, the admin, a shell.
    """

    version = models.BigIntegerField(default=0)


class Heartbeat(models.Model):
    """When a periodic job last ran to its end, by name: beat's sweep proves beat, the
    broker and at least one worker alive at once (the metrics report its age)."""

    name = models.CharField(max_length=40, primary_key=True)
    seen_at = models.DateTimeField()
    host = models.CharField(max_length=200, blank=True)
