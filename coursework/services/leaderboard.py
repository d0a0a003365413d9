"""The leaderboard: each student's best graded notebook, ranked in SQL."""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Count, F, Max, Min, OuterRef, Q, Subquery
from django.db.models.functions import RowNumber, TruncDate
from django.db.models.expressions import Window

from ..models import Assignment, Submission
from ..states import SubmissionStatus


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
    return Submission.objects.filter(assignment=assignment, status=SubmissionStatus.GRADED).filter(
        Q(flagged=False) | Q(flag_resolution="cleared"))


PAGE_SIZE = 100


def standings(assignment: Assignment, limit: int | None = None, offset: int = 0) -> list[Row]:
    field = ranking_field(assignment)
    order = [F(field).desc(), F("created_at").asc(), F("id").asc()]
    # Step 1, in SQL: each student's best counting submission (a window function),
    # ranked by full-precision accuracy with the earlier submission first on a tie.
    best = (eligible(assignment).filter(**{f"{field}__isnull": False})
            .annotate(place=Window(RowNumber(), partition_by=[F("student_id")], order_by=order))
            .filter(place=1).order_by(*order).values_list("pk", flat=True))
    if limit:
        best = best[offset:offset + limit]
    ids = list(best)
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

    One SQL statement: the same ranking as standings() (each student's best counting
    submission, full-precision accuracy, the earlier upload first on a tie) over the
    submissions finished by then, a second window function numbering the students, and
    only the asked-for students returned. So it needs no snapshot table, and stays right
    after a regrade or a flag decision changes the past."""
    if not student_ids:
        return {}
    field = ranking_field(assignment)
    table = Submission._meta.db_table
    marks = ", ".join(["%s"] * len(student_ids))
    sql = f"""
        SELECT student_id, place FROM (
            SELECT student_id, ROW_NUMBER() OVER (ORDER BY {field} DESC, created_at ASC, id ASC) AS place
            FROM (SELECT student_id, {field}, created_at, id,
                         ROW_NUMBER() OVER (PARTITION BY student_id
                                            ORDER BY {field} DESC, created_at ASC, id ASC) AS own
                  FROM {table}
                  WHERE assignment_id = %s AND status = %s AND {field} IS NOT NULL AND finished_at < %s
                    AND (flagged = %s OR flag_resolution = %s)) AS graded
            WHERE own = 1) AS ranked
        WHERE student_id IN ({marks})"""
    with connection.cursor() as cursor:
        cursor.execute(sql, [assignment.pk, SubmissionStatus.GRADED, moment, False, "cleared", *student_ids])
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
    """How many students have a submission that counts (for paging)."""
    return eligible(assignment).filter(**{f"{ranking_field(assignment)}__isnull": False}).values("student").distinct().count()


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
    """The class's best accuracy so far, day by day (one SQL aggregate, then a running maximum)."""
    field = ranking_field(assignment)
    daily = (eligible(assignment).annotate(day=TruncDate("finished_at")).values("day")
             .annotate(best=Max(field)).order_by("day"))
    points, running = [], None
    for item in daily:
        if item["day"] is None or item["best"] is None:
            continue
        running = item["best"] if running is None else max(running, item["best"])
        points.append((item["day"], running))
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
