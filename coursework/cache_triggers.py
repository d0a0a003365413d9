"""The database triggers that keep the cache-version counters (StandingsVersion, QueuesVersion
and ContentVersion in coursework.models), so that a cached page's key is one cheap read and
exact whichever code writes, a bulk update, the admin or a shell included.

They are (re)installed after every migrate (apps.py), each dropped if it exists and made
again, rather than by the migrations: SQLite changes a column by rebuilding its table,
which silently drops the triggers on it, and a trigger lost that way would serve stale
pages without any error. After migrate the set is always whole and current.

PostgreSQL: statement-level triggers with transition tables, so a bulk load, a cascade or
"regrade everything" bumps once per statement, not once per row. SQLite has row triggers
only (it updates in place, so many bumps in one statement cost little).
"""
STANDINGS_BUMP = ("INSERT INTO coursework_standingsversion (assignment_id, version) {rows} "
                  "ON CONFLICT (assignment_id) DO UPDATE SET version = coursework_standingsversion.version + 1")
QUEUES_BUMP = ("INSERT INTO coursework_queuesversion (id, version) VALUES (1, 1) "
               "ON CONFLICT (id) DO UPDATE SET version = coursework_queuesversion.version + 1")
CONTENT_BUMP = ("INSERT INTO coursework_contentversion (id, version) VALUES (1, 1) "
                "ON CONFLICT (id) DO UPDATE SET version = coursework_contentversion.version + 1")
NOTEBOOKS = "SELECT id, 1 FROM coursework_assignment WHERE kind = 'notebook'"
# A check (purpose "check") is on no leaderboard and in no TA queue: it moves neither.
PROBLEM = "({r}.status IN ('failed', 'error') OR {r}.flagged) AND {r}.purpose = 'graded'"

# (name, table, columns whose change counts, which rows count ({r} is the row), what to bump,
# and optionally the events that count). A standings bump is given the matching rows'
# assignment ids; None bumps every notebook task's.
ALL_EVENTS = ("INSERT", "DELETE", "UPDATE")
WATCHED = [
    ("standings_submission", "coursework_submission",
     ("status", "public_accuracy", "private_accuracy", "flagged", "flag_resolution", "created_at", "finished_at",
      "student_id", "assignment_id", "final_marked_at"), "{r}.status = 'graded' AND {r}.purpose = 'graded'",
     "standings"),
    ("standings_names", "coursework_profile", ("display_name", "leaderboard_alias", "show_name_on_leaderboard", "user_id"),
     "true", None),
    ("queues_submission", "coursework_submission",
     ("status", "flagged", "flag_resolution", "created_at", "late", "original_name", "student_id"), PROBLEM, "queues"),
    ("queues_synthesis", "coursework_synthesisresponse",
     ("status", "submitted_at", "late", "student_id", "question_set_id", "resubmit_by"), "{r}.status <> 'draft'",
     "queues"),
    # resubmit_by: a request's due date shows in the queue, and a new request or a publication
    # moves it without changing the status.
    ("queues_essays", "coursework_essaysubmission",
     ("status", "version", "submitted_at", "late", "student_id", "resubmit_by"), "true", "queues"),
    # The appeals queue is part of the TA dashboard's cached listing too.
    ("queues_appeal", "coursework_appeal", ("status", "what", "created_at", "student_id"), "true", "queues"),
    ("queues_profile", "coursework_profile", ("display_name", "group_id", "user_id"), "true", "queues"),
    # A new account shows nowhere until its work arrives (which counts); a renamed one does.
    ("queues_user", "auth_user", ("username",), "true", "queues", ("UPDATE",)),
    ("queues_group", "coursework_studygroup", ("name",), "true", "queues"),
    ("queues_page", "coursework_page", ("title",), "true", "queues"),
    ("queues_questionset", "coursework_questionset", ("page_id",), "true", "queues"),
    ("queues_assignment", "coursework_assignment", ("title", "slug", "anonymous_review"), "true", "queues"),
    # What a visitor who is not signed in reads: the unit's pages and the tasks' terms. Every
    # column counts (a page kept for visitors shows any of them).
    ("content_page", "coursework_page", ("slug", "title", "kind", '"order"', "body", "video_url", "video_minutes"),
     "true", "content"),
    ("content_questionset", "coursework_questionset", ("page_id", "optional"), "true", "content"),
    ("content_question", "coursework_question", ("question_set_id", '"order"', "text", "bonus"), "true", "content"),
    ("content_assignment", "coursework_assignment",
     ("slug", "title", "kind", "due_at", "full_credit_accuracy", "zero_credit_accuracy", "daily_submission_limit",
      "private_revealed", "late_policy", "late_penalty_per_day", "lock_at"), "true", "content"),
]

BUMPS = {"queues": QUEUES_BUMP, "content": CONTENT_BUMP}


def _changed(columns, old="OLD", new="NEW", op="IS DISTINCT FROM"):
    return " OR ".join(f"{old}.{c} {op} {new}.{c}" for c in columns)


def _each():
    """(trigger name, table, event, name, where, columns, bump) for every trigger there should be."""
    for name, table, columns, where, bump, *events in WATCHED:
        for event in (events[0] if events else ALL_EVENTS):
            yield f"coursework_{name}_{event.lower()}", table, event, where, columns, bump


def _postgresql() -> list[str]:
    statements = []
    for trigger, table, event, where, columns, bump in _each():
        matching = {
            "INSERT": f"FROM new_rows r WHERE {where.format(r='r')}",
            "DELETE": f"FROM old_rows r WHERE {where.format(r='r')}",
            "UPDATE": f"FROM old_rows o JOIN new_rows r ON r.id = o.id WHERE ({where.format(r='o')} OR "
                      f"{where.format(r='r')}) AND ({_changed(columns, 'o', 'r')})",
        }[event]
        if bump == "standings":
            rows = f"SELECT DISTINCT r.assignment_id, 1 {matching}"
            if event == "UPDATE":  # a row moved between tasks counts for both
                rows += f" UNION SELECT o.assignment_id, 1 {matching}"
            body = STANDINGS_BUMP.format(rows=rows) + ";"
        else:
            then = BUMPS[bump] if bump in BUMPS else STANDINGS_BUMP.format(rows=NOTEBOOKS)
            body = f"IF EXISTS (SELECT 1 {matching}) THEN {then}; END IF;"
        tables = {"INSERT": "NEW TABLE AS new_rows", "DELETE": "OLD TABLE AS old_rows",
                  "UPDATE": "OLD TABLE AS old_rows NEW TABLE AS new_rows"}[event]
        statements += [
            f"CREATE OR REPLACE FUNCTION {trigger}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN {body} "
            "RETURN NULL; END $$",
            f"DROP TRIGGER IF EXISTS {trigger} ON {table}",
            f"CREATE TRIGGER {trigger} AFTER {event} ON {table} REFERENCING {tables} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {trigger}()",
        ]
    return statements


def _sqlite() -> list[str]:
    statements = []
    for trigger, table, event, where, columns, bump in _each():
        when, rows = {
            "INSERT": (where.format(r="NEW"), ["NEW"]),
            "DELETE": (where.format(r="OLD"), ["OLD"]),
            "UPDATE": (f"({where.format(r='OLD')} OR {where.format(r='NEW')}) AND ({_changed(columns, op='IS NOT')})",
                       ["OLD", "NEW"]),
        }[event]
        if bump == "standings":
            # The UPSERT's SELECT needs a WHERE, or SQLite reads ON CONFLICT as a join.
            body = " ".join(STANDINGS_BUMP.format(rows=f"SELECT {row}.assignment_id, 1 WHERE true") + ";"
                            for row in rows)
        else:
            body = (BUMPS[bump] if bump in BUMPS else STANDINGS_BUMP.format(rows=NOTEBOOKS)) + ";"
        statements += [f"DROP TRIGGER IF EXISTS {trigger}",
                       f"CREATE TRIGGER {trigger} AFTER {event} ON {table} WHEN {when} BEGIN {body} END"]
    return statements


BUILDERS = {"postgresql": _postgresql, "sqlite": _sqlite}


def names() -> set[str]:
    return {trigger for trigger, *_ in _each()}


def install(connection) -> None:
    """Drop and make every trigger, in one transaction: safe to run any number of times."""
    if connection.vendor not in BUILDERS:
        return  # another database: the counters stay put and cached pages expire by time only
    from django.db import transaction

    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        for sql in BUILDERS[connection.vendor]():
            cursor.execute(sql)


def installed(connection) -> set[str]:
    """The names of the counters' triggers the database has now."""
    query = {"postgresql": "SELECT tgname FROM pg_trigger WHERE tgname LIKE 'coursework\\_%%' AND NOT tgisinternal",
             "sqlite": "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'coursework_%'"}
    with connection.cursor() as cursor:
        cursor.execute(query[connection.vendor])
        return {row[0] for row in cursor.fetchall()}
