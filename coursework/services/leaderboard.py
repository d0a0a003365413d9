"""The leaderboard, ranked in SQL: on the public half each student's score as the Ladder shows it,
on the private half their best."""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Count, F, Max, Min, OuterRef, Q, Subquery
from django.db.models.functions import TruncDate
from django.utils.dateparse import parse_datetime

from ..models import Assignment, Submission
from ..states import FlagDecision, SubmissionStatus
from .disclosure import PUBLIC_IMAGES

# How many uploads a student may mark final (coursework.services.finals).
MAX_FINALS = 2


@dataclass
class Row:
    rank: int | None
    name: str
    accuracy: float | None
    submissions: int
    submitted_at: object
    is_reference: bool = False
    student_id: int | None = None
    under_review: bool = False  # a flagged result waits for a TA: no rank, no figure
    change: int | None = None  # places gained (+) or lost (-) since the end of yesterday, UTC
    new_today: bool = False  # no counting submission yet at the end of yesterday


def ranking_field(assignment: Assignment) -> str:
    return "private_accuracy" if assignment.private_revealed else "public_accuracy"


def eligible(assignment: Assignment):
    """Graded submissions that may count: not flagged, or flagged and cleared by a TA."""
    return Submission.objects.filter(assignment=assignment).counted()


PAGE_SIZE = 100

# The accuracy the Ladder's default margin is the noise of: the reference network's is
# about 98% (docs/reference-network.md), and so are the good students'.
LADDER_LEVEL = 0.98


def ladder_margin() -> float:
    """How far (a fraction) an upload must beat a student's shown public score to replace it.

    Unset (settings.LADDER_MARGIN_POINTS), one standard error of an accuracy near the
    reference's on the public half: sqrt(0.98 * 0.02 / 5,000) = 0.198 points, about 10
    images. Two uploads' accuracies on the same images are correlated, so the noise of their
    difference is below the sqrt(2) standard errors of independent samples; one standard
    error still stops what a reseed or a tweak of the threshold gains by luck, while a real
    improvement (a better optimiser, augmentation: half a point and more) moves the score at
    once. Blum and Hardt's worst-case step, (log k / n)^(1/3), would be several points here,
    which is more than a course's honest progress between uploads."""
    points = settings.LADDER_MARGIN_POINTS
    if points is None:
        return math.sqrt(LADDER_LEVEL * (1 - LADDER_LEVEL) / PUBLIC_IMAGES)
    return points / 100


# Accuracies are counts over the public half's images: a gain of exactly the margin (10
# images at the default) must stay "not more than the margin" whatever the float sum rounds to.
_EXACT = 1e-9


def _counting(finished_before) -> tuple[str, list]:
    """The SQL condition (on the submission table) of the grades that count, and its
    parameters: models.COUNTED in SQL, for the ranking queries (tests compare the two)."""
    sql = ("assignment_id = %s AND purpose = %s AND status = %s AND {field} IS NOT NULL "
           "AND (flagged = %s OR flag_resolution = %s)")
    params = [Submission.GRADED, SubmissionStatus.GRADED, False, FlagDecision.CLEARED]
    if finished_before is not None:
        sql += " AND finished_at < %s"
        params.append(finished_before)
    return sql, params


def _ladder_cte(assignment: Assignment, finished_before=None, student_id: int | None = None) -> tuple[str, list]:
    """WITH clauses that end in `ladder`: every counting public grade of each student, in upload
    order (n), with the public score shown after it (shown, set by the upload shown_id made
    at shown_at) and how many the student has (total).

    The Ladder (Blum and Hardt, ICML 2015): an upload replaces the shown score only when it
    beats it by more than the margin. A recursive query walks each student's uploads, so
    it stays right after a regrade or a flag decision rewrites the past, and needs no
    stored state."""
    where, params = _counting(finished_before)
    where = where.format(field="public_accuracy")
    if student_id is not None:
        where += " AND student_id = %s"
        params.append(student_id)
    table = Submission._meta.db_table
    margin = ladder_margin() + _EXACT
    sql = f"""
        counted AS (
            SELECT id, student_id, public_accuracy AS acc, created_at, finished_at,
                   ROW_NUMBER() OVER (PARTITION BY student_id ORDER BY created_at, id) AS n,
                   COUNT(*) OVER (PARTITION BY student_id) AS total
            FROM {table} WHERE {where}),
        ladder (student_id, n, total, id, acc, finished_at, shown_id, shown, shown_at) AS (
            SELECT student_id, n, total, id, acc, finished_at, id, acc, created_at FROM counted WHERE n = 1
            UNION ALL
            SELECT c.student_id, c.n, c.total, c.id, c.acc, c.finished_at,
                   CASE WHEN c.acc > l.shown + %s THEN c.id ELSE l.shown_id END,
                   CASE WHEN c.acc > l.shown + %s THEN c.acc ELSE l.shown END,
                   CASE WHEN c.acc > l.shown + %s THEN c.created_at ELSE l.shown_at END
            FROM ladder l JOIN counted c ON c.student_id = l.student_id AND c.n = l.n + 1)"""
    return sql, [assignment.pk, *params, margin, margin, margin]


def _board(assignment: Assignment, finished_before=None) -> tuple[str, list]:
    """A WITH prefix ending in `board` (student_id, id, acc, created_at): the one submission
    per student that the board ranks, at the accuracy it ranks by."""
    if not assignment.private_revealed:
        ladder, params = _ladder_cte(assignment, finished_before)
        return (f"WITH RECURSIVE {ladder}, board AS ("
                "SELECT student_id, shown_id AS id, shown AS acc, shown_at AS created_at FROM ladder WHERE n = total)",
                params)
    where, params = _counting(finished_before)
    where = where.format(field="private_accuracy")
    table = Submission._meta.db_table
    # The private board ranks each student's best private score among their final uploads
    # (coursework.services.finals): those they marked, or with none marked (or none of the
    # marked counting), their best two by the public half.
    return (f"""WITH candidates AS (
                SELECT student_id, id, private_accuracy AS acc, created_at, final_marked_at,
                       ROW_NUMBER() OVER (PARTITION BY student_id
                                          ORDER BY public_accuracy DESC, created_at ASC, id ASC) AS by_public,
                       COUNT(final_marked_at) OVER (PARTITION BY student_id) AS marked
                FROM {table} WHERE {where} AND public_accuracy IS NOT NULL),
            finals AS (
                SELECT student_id, id, acc, created_at,
                       ROW_NUMBER() OVER (PARTITION BY student_id ORDER BY acc DESC, created_at ASC, id ASC) AS own
                FROM candidates
                WHERE (marked > 0 AND final_marked_at IS NOT NULL) OR (marked = 0 AND by_public <= %s)),
            board AS (SELECT student_id, id, acc, created_at FROM finals WHERE own = 1)""",
            [assignment.pk, *params, MAX_FINALS])


def standings(assignment: Assignment, limit: int | None = None, offset: int = 0) -> list[Row]:
    field = ranking_field(assignment)
    # Step 1, in SQL: each student's one counting submission (on the public half, the one
    # the Ladder shows; on the private half, their best), ranked by full-precision accuracy
    # with the earlier submission first on a tie.
    board, params = _board(assignment)
    sql = f"{board} SELECT id FROM board ORDER BY acc DESC, created_at ASC, id ASC"
    if limit:
        sql += " LIMIT %s OFFSET %s"
        params += [limit, offset]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        ids = [pk for (pk,) in cursor.fetchall()]
    order = [F(field).desc(), F("created_at").asc(), F("id").asc()]
    # Step 2: what the page shows for just those rows, and their submission counts,
    # in two more queries however large the class.
    shown = (Submission.objects.filter(pk__in=ids).select_related("student__profile")
             .only("student__username", "student__profile__display_name", "student__profile__leaderboard_alias",
                   "student__profile__show_name_on_leaderboard", field, "created_at")
             .order_by(*order))
    shown = list(shown)
    attempts = dict(Submission.objects.filter(assignment=assignment, student__in=[s.student_id for s in shown])
                    .values("student").annotate(n=Count("pk")).values_list("student", "n"))
    rows = []
    for rank, submission in enumerate(shown, start=offset + 1):
        profile = getattr(submission.student, "profile", None)
        rows.append(Row(rank=rank, name=profile.leaderboard_name if profile else submission.student.get_username(),
                        accuracy=getattr(submission, field), submissions=attempts.get(submission.student_id, 0),
                        submitted_at=submission.created_at,
                        student_id=submission.student_id))
    return rows


@dataclass(frozen=True)
class LadderStep:
    """What one upload did to its student's public score."""

    accuracy: float  # this upload's public accuracy
    shown: float  # the student's public score after it
    moved: bool  # this upload set the score shown
    margin: float  # the Ladder's margin, a fraction

    @property
    def margin_points(self) -> float:
        return self.margin * 100

    @property
    def within_noise(self) -> bool:
        return not self.moved and abs(self.accuracy - self.shown) <= self.margin + _EXACT


def ladder_step(submission: Submission) -> LadderStep | None:
    """What this upload did to its student's public score; None where it has no part in it
    (not graded, a flag still open or upheld, a check). One query."""
    ladder, params = _ladder_cte(submission.assignment, student_id=submission.student_id)
    with connection.cursor() as cursor:
        cursor.execute(f"WITH RECURSIVE {ladder} SELECT acc, shown, shown_id FROM ladder WHERE id = %s",
                       [*params, submission.pk])
        found = cursor.fetchone()
    if found is None:
        return None
    accuracy, shown, shown_id = found
    return LadderStep(accuracy=accuracy, shown=shown, moved=shown_id == submission.pk, margin=ladder_margin())


def under_review(assignment: Assignment) -> list[Row]:
    """Students whose best result waits for a TA's decision on its flag, oldest first.

    It neither ranks nor shows its figure until the TA decides (clear: it ranks; uphold: it
    never does); a flagged result below the student's counting best changes nothing and is
    not listed."""
    field = ranking_field(assignment)
    counting_best = (eligible(assignment).filter(student=OuterRef("student"), **{f"{field}__isnull": False})
                     .order_by(F(field).desc()).values(field)[:1])
    waiting = (Submission.objects.filter(assignment=assignment, status=SubmissionStatus.GRADED, flagged=True,
                                         flag_resolution="", **{f"{field}__isnull": False})
               .annotate(counting=Subquery(counting_best))
               .filter(Q(counting__isnull=True) | Q(**{f"{field}__gt": F("counting")}))
               .values("student").annotate(since=Min("created_at")).order_by("since", "student"))
    waiting = list(waiting)
    people = get_user_model().objects.select_related("profile").in_bulk([w["student"] for w in waiting])
    attempts = dict(Submission.objects.filter(assignment=assignment, student__in=list(people))
                    .values("student").annotate(n=Count("pk")).values_list("student", "n"))
    rows = []
    for w in waiting:
        person = people[w["student"]]
        profile = getattr(person, "profile", None)
        rows.append(Row(rank=None, name=profile.leaderboard_name if profile else person.get_username(), accuracy=None,
                        submissions=attempts.get(person.pk, 0), submitted_at=w["since"], student_id=person.pk,
                        under_review=True))
    return rows


def ranks_at(assignment: Assignment, moment, student_ids: list[int]) -> dict[int, int]:
    """Where each of these students ranked with only the grades finished before `moment`.

    One SQL statement: the same board as standings() (the Ladder's shown score on the
    public half, the best on the private half; full-precision accuracy, the earlier upload
    first on a tie) over the submissions finished by then, a window function numbering
    the students, and only the asked-for students returned. So it needs no snapshot table,
    and stays right after a regrade or a flag decision changes the past."""
    if not student_ids:
        return {}
    board, params = _board(assignment, finished_before=moment)
    marks = ", ".join(["%s"] * len(student_ids))
    sql = f"""{board}
        SELECT student_id, place FROM (
            SELECT student_id, ROW_NUMBER() OVER (ORDER BY acc DESC, created_at ASC, id ASC) AS place FROM board
        ) AS ranked
        WHERE student_id IN ({marks})"""
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *student_ids])
        return dict(cursor.fetchall())


def with_changes(assignment: Assignment, rows: list[Row], today_start) -> list[Row]:
    """Marks each row with its places gained or lost since the end of yesterday."""
    before = ranks_at(assignment, today_start, [r.student_id for r in rows if r.student_id])
    for row in rows:
        if row.student_id is None or row.rank is None:
            continue
        if row.student_id in before:
            row.change = before[row.student_id] - row.rank
        else:
            row.new_today = True
    return rows


def ranked_students(assignment: Assignment) -> int:
    """How many students the board ranks (for paging)."""
    board, params = _board(assignment)
    with connection.cursor() as cursor:
        cursor.execute(f"{board} SELECT COUNT(*) FROM board", params)
        return cursor.fetchone()[0]


def with_reference(rows: list[Row], reference_accuracy: float | None, description: str) -> list[Row]:
    """The reference network as a marked baseline row, placed where its accuracy falls."""
    if reference_accuracy is None:
        return rows
    baseline = Row(rank=None, name=f"Reference network ({description})", accuracy=reference_accuracy,
                   submissions=0, submitted_at=None, is_reference=True)
    index = next((i for i, r in enumerate(rows) if r.accuracy is not None and r.accuracy < reference_accuracy),
                 len(rows))
    return rows[:index] + [baseline] + rows[index:]


def best_over_time(assignment: Assignment) -> list[tuple[date, float]]:
    """The class's best shown accuracy so far, day by day, then a running maximum.

    On the public half only the uploads that moved a student's Ladder count: the chart
    must not show a figure the board holds back."""
    if assignment.private_revealed:
        daily = (eligible(assignment).annotate(day=TruncDate("finished_at")).values("day")
                 .annotate(best=Max("private_accuracy")).order_by("day").values_list("day", "best"))
    else:
        ladder, params = _ladder_cte(assignment)
        with connection.cursor() as cursor:
            cursor.execute(f"WITH RECURSIVE {ladder} SELECT finished_at, acc FROM ladder WHERE shown_id = id", params)
            best_of_day: dict[date, float] = {}
            for finished_at, accuracy in cursor.fetchall():
                if finished_at is None:
                    continue
                if isinstance(finished_at, str):  # SQLite hands raw SQL's timestamps back as text, in UTC
                    finished_at = parse_datetime(finished_at).replace(tzinfo=dt.timezone.utc)
                day = finished_at.astimezone(dt.timezone.utc).date()
                best_of_day[day] = max(accuracy, best_of_day.get(day, accuracy))
        daily = sorted(best_of_day.items())
    points, running = [], None
    for day, best in daily:
        if day is None or best is None:
            continue
        running = best if running is None else max(running, best)
        points.append((day, running))
    return points


def _axis(low: float, high: float) -> tuple[float, float, list[float]]:
    """A y axis from below `low` to above `high` on round accuracies, at most six ticks
    0.5, 1, 2, 5, 10 or 20 points apart, starting and ending on a tick."""
    for step in (0.005, 0.01, 0.02, 0.05, 0.1, 0.2):
        bottom = max(0.0, math.floor(low / step + 1e-9) * step)
        top = min(1.0, math.ceil(high / step - 1e-9) * step)
        if top - bottom < 2 * step:  # at least two gaps, so a single value sits inside the axis
            bottom = max(0.0, bottom - step) if top >= 1.0 else bottom
            top = min(1.0, bottom + 2 * step)
        ticks = [round(bottom + k * step, 4) for k in range(int(round((top - bottom) / step)) + 1)]
        if len(ticks) <= 6:
            return bottom, top, ticks
    return 0.0, 1.0, [0.0, 0.5, 1.0]


def chart_svg(points: list[tuple[date, float]], reference: float | None) -> str:
    """Best accuracy per day: a dot per day (joined once there are two), a y axis of round
    percentages with grid lines, the days on the x axis, the reference as a dashed line.
    One day of data is one dot in the middle. Drawn for a 400-unit width so that its
    14-unit labels stay about 11 px tall on a 390 px phone."""
    if not points:
        return ""
    width, height, left, right, top, bottom = 400, 240, 50, 14, 16, 38
    values = [v for _, v in points] + ([reference] if reference else [])
    low, high, ticks = _axis(min(values) - 0.002, max(values) + 0.002)
    span = high - low
    plot_w, plot_h = width - left - right, height - top - bottom

    def x_of(i):
        return left + plot_w / 2 if len(points) == 1 else left + plot_w * i / (len(points) - 1)

    def y_of(v):
        return top + plot_h * (high - v) / span

    label = f"Best accuracy so far, day by day: {points[0][1]:.2%} on {points[0][0]:%d %b}"
    if len(points) > 1:
        label += f", {points[-1][1]:.2%} on {points[-1][0]:%d %b}"
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{label}" '
             'xmlns="http://www.w3.org/2000/svg" font-size="14" font-family="system-ui, sans-serif">']
    for tick in ticks:
        y = y_of(tick)
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e3e3e8"/>')
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#555">{tick * 100:g}%</text>')
    parts.append(f'<line x1="{left}" x2="{left}" y1="{top}" y2="{height - bottom}" stroke="#888"/>')
    parts.append(f'<line x1="{left}" x2="{width - right}" y1="{height - bottom}" y2="{height - bottom}" stroke="#888"/>')
    if reference and low <= reference <= high:
        y = y_of(reference)
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#1a7f37" '
                     'stroke-dasharray="5,4"/>')
        parts.append(f'<text x="{width - right}" y="{y - 5:.1f}" text-anchor="end" fill="#166c2f">'
                     f'reference {reference:.2%}</text>')
    coords = [(x_of(i), y_of(v)) for i, (_, v) in enumerate(points)]
    if len(coords) > 1:
        line = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
        parts.append(f'<polyline points="{line}" fill="none" stroke="#2856b6" stroke-width="2"/>')
    for (day, value), (x, y) in zip(points, coords):
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4.5" fill="#2856b6"><title>{day:%d %b}: {value:.2%}'
                     '</title></circle>')
    shown = [0] if len(points) == 1 else sorted({0, len(points) // 2, len(points) - 1} if len(points) > 4
                                                 else set(range(len(points))))
    for i in shown:
        anchor = "middle" if len(points) == 1 else ("start" if i == 0 else "end" if i == len(points) - 1 else "middle")
        parts.append(f'<text x="{x_of(i):.1f}" y="{height - bottom + 18}" text-anchor="{anchor}" fill="#555">'
                     f'{points[i][0]:%d %b}</text>')
    if len(points) == 1:
        x, y = coords[0]
        parts.append(f'<text x="{x:.1f}" y="{y - 10:.1f}" text-anchor="middle" fill="#1d1d1f">{points[0][1]:.2%}</text>')
    parts.append("</svg>")
    return "".join(parts)
