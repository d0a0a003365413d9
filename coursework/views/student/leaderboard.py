"""The leaderboard, for everyone: best graded notebook per student, with the reference as a baseline."""
import datetime as dt
import hashlib

from django.core.cache import cache
from django.db import connection
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone

from ...grading import conditions
from ...models import Assignment, ContentVersion, StandingsVersion
from ...services import leaderboard
from ..visitors import kept_for_visitors


def _version(assignment) -> str:
    """Changes whenever the standings can: database triggers count every write that moves
    them (see StandingsVersion), a reveal switches the half shown, and a new Ladder margin
    (a setting, so a restart) reshapes the public board. No scan of the submissions, so a
    cached page costs the same with any number of them."""
    try:
        version = assignment.standings.version
    except StandingsVersion.DoesNotExist:
        version = 0
    return f"{version}|{assignment.private_revealed}|{leaderboard.ladder_margin()}"


def _today_start():
    """Rank changes count from the start of today (UTC)."""
    return timezone.now().astimezone(dt.timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)


# The first notebook task's standings version (NULL before its first change) and the content
# version (NULL before the first); the ORM query this replaced read the same two.
VISITORS_VERSION_SQL = (
    f"SELECT s.version, (SELECT c.version FROM {ContentVersion._meta.db_table} c ORDER BY c.id LIMIT 1) "
    f"FROM {Assignment._meta.db_table} a LEFT JOIN {StandingsVersion._meta.db_table} s ON s.assignment_id = a.id "
    "WHERE a.kind = %s ORDER BY a.id LIMIT 1")


def _visitors_version(request) -> str:
    """What a visitor's page shows: the standings (of today: the changes count from its
    start), the task's terms and titles."""
    # One query: this is all a kept page costs. In SQL of its own: compiling it with the ORM
    # took 1.5 ms of the web's CPU a page, more than the rest of serving the kept copy.
    with connection.cursor() as cursor:
        cursor.execute(VISITORS_VERSION_SQL, [Assignment.NOTEBOOK])
        row = cursor.fetchone()
    return f"{row}|{_today_start().date()}|{leaderboard.ladder_margin()}"


def _standings(assignment, page: int) -> dict:
    """The ranked page, cached until the standings change (the viewer's own row is marked afterwards)."""
    # Rank changes count from the start of today, so the day is part of the key.
    today_start = _today_start()
    version = f"{_version(assignment)}|{today_start.date()}"
    key = f"leaderboard:{assignment.pk}:{page}:{hashlib.sha1(version.encode()).hexdigest()}"
    cached = cache.get(key)
    if cached is not None:
        return cached
    ref = conditions.reference_figures()
    field = "private_accuracy" if assignment.private_revealed else "public_accuracy"
    reference, description = (ref[field], ref["description"]) if ref else (None, "")
    size = leaderboard.PAGE_SIZE
    total = leaderboard.ranked_students(assignment)
    rows = leaderboard.with_changes(assignment, leaderboard.standings(assignment, limit=size, offset=(page - 1) * size),
                                    today_start)
    last_page = max(1, -(-total // size))
    if rows and page < last_page and reference is not None and reference < rows[-1].accuracy:
        reference = None  # the baseline sits on a later page
    if page > 1 and rows and reference is not None and reference > rows[0].accuracy:
        reference = None  # ...or on an earlier one
    value = {
        "page": page, "last_page": last_page, "total": total,
        "rows": leaderboard.with_reference(rows, reference, description)
        + (leaderboard.under_review(assignment) if page == 1 else []),
        "half": "private" if assignment.private_revealed else "public",
        "chart": leaderboard.chart_svg(leaderboard.best_over_time(assignment), reference),
    }
    # The table is the same for everyone, so it is rendered once per change; the
    # viewer's own row is picked out by a one-line style (see leaderboard.html).
    value["table"] = render_to_string("coursework/_leaderboard_rows.html", value)
    cache.set(key, value, 600)
    return value


def _context(request):
    # With its standings version (one join), so a cached page needs no other query.
    assignment = Assignment.objects.select_related("standings").the(Assignment.NOTEBOOK)
    if assignment is None:
        raise Http404("no notebook assignment")
    try:
        page = max(1, int(request.GET.get("page", 1)))
    except ValueError:
        page = 1
    context = dict(_standings(assignment, page))
    context["assignment"] = assignment
    context["me"] = request.user.pk if request.user.is_authenticated else None
    return context


@kept_for_visitors(_visitors_version, params=("page",))
def leaderboard_page(request):
    return render(request, "coursework/leaderboard.html", _context(request))


@kept_for_visitors(_visitors_version, params=("page",))
def leaderboard_rows(request):
    """The table alone, which the page polls to stay current."""
    return HttpResponse(_context(request)["table"])
