"""Grading, the coursework side. The grader library (grader/) runs a notebook and returns a
GradeResult; everything about rows, attempts and the audit trail is here. A grade's path:

- dispatch.py: an upload or a regrade leaves a queued row; the dispatcher sends the next
  rows in turn (one definition of whose turn it is) to the broker, as many as it should hold;
- queue.py: the same turn order, counted for a pending run's page (its place in the queue);
- job.py: a worker's task (coursework/tasks.py) claims the row and runs the notebook under
  its assignment's conditions (conditions.py: limits, libraries, the reference network);
- store.py: the result, its files and pictures are stored if the attempt still owns the row,
  riding out a database that drops its connection; a run that cannot finish is given up;
- regrade.py: a TA, the admin or `manage.py regrade` queues rows again, audited.

The Celery tasks call into this package; it sends them by name and never imports them, so
the two do not depend on each other in a loop.
"""
