"""The leaderboard: each student's best graded notebook, ranked in SQL."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.contrib.auth import get_user_model
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


def chart_svg(points: list[tuple[date, float]], reference: float | None) -> str:
    """A small line chart of best accuracy per day, with the reference as a dashed line."""
    if not points:
        return ""
    width, height, pad = 560, 200, 36
    values = [v for _, v in points] + ([reference] if reference else [])
    low, high = min(values) - 0.01, min(1.0, max(values) + 0.005)
    span = max(high - low, 1e-6)

    def xy(i, v):
        x = pad + (width - 2 * pad) * (i / max(len(points) - 1, 1))
        return x, height - pad - (height - 2 * pad) * (v - low) / span

    line = " ".join(f"{x:.1f},{y:.1f}" for x, y in (xy(i, v) for i, (_, v) in enumerate(points)))
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="Best accuracy over time, '
             f'from {points[0][1]:.2%} to {points[-1][1]:.2%}" xmlns="http://www.w3.org/2000/svg">',
             f'<polyline points="{line}" fill="none" stroke="#2856b6" stroke-width="2"/>']
    if reference:
        y = xy(0, reference)[1]
        parts.append(f'<line x1="{pad}" x2="{width - pad}" y1="{y:.1f}" y2="{y:.1f}" stroke="#1a7f37" stroke-dasharray="5,4"/>')
        parts.append(f'<text x="{width - pad}" y="{y - 4:.1f}" text-anchor="end" font-size="11" fill="#1a7f37">reference {reference:.2%}</text>')
    parts.append(f'<text x="{pad}" y="{height - 10}" font-size="11" fill="#666">{points[0][0]:%d %b}</text>')
    parts.append(f'<text x="{width - pad}" y="{height - 10}" text-anchor="end" font-size="11" fill="#666">{points[-1][0]:%d %b}</text>')
    parts.append(f'<text x="{pad - 4}" y="{xy(0, high)[1] + 10:.1f}" text-anchor="end" font-size="11" fill="#666">{high:.0%}</text>')
    parts.append("</svg>")
    return "".join(parts)
