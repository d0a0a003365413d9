"""How the reviews were given: per criterion (mean, spread, how often each mark is used) and
per TA (the share of the points they give against the other TAs on the same task, and how
many items an hour), to find a harsh or lenient grader, or a criterion nobody uses the
middle of.

Read from the reviews' own snapshots (Reviewed.rubric), so a criterion renamed or removed
since still counts under the title it had. Two queries whatever the size of the class
(reviewed synthesis answers, reviewed essay sets) and one for the TAs' names.
"""
from __future__ import annotations

import math
import statistics
from collections import defaultdict
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model

from ..models import EssaySubmission, SynthesisResponse
from ..states import ReviewStatus

# A TA's mean share is called apart from the typical TA's when it is this many standard
# errors away and at least this far (a share of the points): a difference a tired eye
# should look into, never a verdict on its own. The second keeps a tight-marking pair of
# TAs who differ by half a level from being called harsh and lenient.
NOTABLE_Z = 2.0
MATERIAL_SHARE = 0.1


@dataclass
class CriterionStats:
    task: str
    title: str
    max_points: float
    points: list[float] = field(default_factory=list)
    deduction: bool = False  # its points are points taken off (mean: the mean taken off)

    @property
    def n(self) -> int:
        return len(self.points)

    @property
    def mean(self) -> float:
        return statistics.fmean(self.points)

    @property
    def spread(self) -> float:
        return statistics.pstdev(self.points)

    @property
    def usage(self) -> list[tuple[float, int, int]]:
        """(points, how many times given, percent of this criterion's marks), highest points first."""
        counts: dict[float, int] = defaultdict(int)
        for p in self.points:
            counts[p] += 1
        return [(p, n, round(100 * n / self.n)) for p, n in sorted(counts.items(), reverse=True)]


@dataclass
class GraderStats:
    task: str
    name: str
    shares: list[float]  # each review's points as a share of the points available
    typical: float | None  # the median of the task's TAs' mean shares (None with one TA)
    typical_se: float  # the median of their means' standard errors: the typical TA's figure is noisy too
    hours: int  # distinct clock hours in which this TA saved a review of the task

    @property
    def n(self) -> int:
        return len(self.shares)

    @property
    def mean(self) -> float:
        return statistics.fmean(self.shares)


    @property
    def per_hour(self) -> float:
        return self.n / max(1, self.hours)

    @property
    def z(self) -> float | None:
        """How many of this TA's standard errors their mean is from the typical TA's (None
        with too few reviews or no other TA). Against the median of the TAs' means, not the
        pooled others: one harsh TA among three would make the two others look lenient."""
        if self.n < 2 or self.typical is None:
            return None
        se = math.sqrt(statistics.variance(self.shares) / self.n + self.typical_se ** 2)
        return (self.mean - self.typical) / max(se, 0.005)  # half a point in a hundred: marks come in steps

    @property
    def verdict(self) -> str:
        if self.z is None:
            return "too few reviews to compare"
        if abs(self.mean - self.typical) >= MATERIAL_SHARE and abs(self.z) >= NOTABLE_Z:
            return "harsher than the others" if self.z < 0 else "more lenient than the others"
        return "in line with the others"


def _reviews():
    """(task title, reviewer id, score, max score, reviewed at, rubric snapshot) of every scored review."""
    scored = {"status": ReviewStatus.REVIEWED, "feedback_only": False, "score__isnull": False,
              "max_score__gt": 0, "reviewer__isnull": False}
    fields = ("reviewer_id", "score", "max_score", "reviewed_at", "rubric")
    for row in SynthesisResponse.objects.filter(**scored).values_list("question_set__page__title", *fields):
        yield (f"Synthesis: {row[0]}", *row[1:])
    for row in EssaySubmission.objects.filter(**scored).values_list(*fields):
        yield ("Essays", *row)


def summary() -> tuple[list[CriterionStats], list[GraderStats]]:
    criteria: dict[tuple[str, str], CriterionStats] = {}
    by_task: dict[str, list[tuple[int, float, object]]] = defaultdict(list)
    for task, reviewer, score, max_score, at, rubric in _reviews():
        by_task[task].append((reviewer, score / max_score, at))
        for row in (rubric or {}).get("criteria", []):
            if row.get("points") is None:
                continue
            key = (task, row.get("title", "?"))
            stats = criteria.setdefault(key, CriterionStats(task, key[1], float(row.get("max_points") or 0),
                                                            deduction=bool(row.get("deduction"))))
            stats.points.append(float(row["points"]))
    names = dict(get_user_model().objects.filter(pk__in={r for rows in by_task.values() for r, _, _ in rows})
                 .values_list("pk", "username"))
    graders = []
    for task, rows in sorted(by_task.items()):
        shares: dict[int, list[float]] = defaultdict(list)
        for reviewer, share, _ in rows:
            shares[reviewer].append(share)
        enough = [v for v in shares.values() if len(v) >= 2]
        typical = statistics.median(statistics.fmean(v) for v in enough) if len(enough) >= 2 else None
        typical_se = statistics.median(math.sqrt(statistics.variance(v) / len(v)) for v in enough) if enough else 0.0
        for reviewer in sorted(shares, key=lambda r: names.get(r, "")):
            hours = {at.replace(minute=0, second=0, microsecond=0) for r, _, at in rows if r == reviewer and at}
            graders.append(GraderStats(task, names.get(reviewer, "?"), shares[reviewer], typical, typical_se,
                                       len(hours)))
    return sorted(criteria.values(), key=lambda c: (c.task, c.title)), graders
