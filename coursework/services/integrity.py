"""Scores that go to a TA before they count.

No grader can stop a student from memorising a public test set. What it can do is send
what an honest network of the course's kind does not produce to a person: accuracy above
what such a network reaches (a setting per assignment), and a notebook that carries
enough embedded data to hold the test labels (grader.embedded). A flagged grade waits,
"under review" on the leaderboard, until a TA clears or upholds it (reviews.resolve_flag).
The TA's page shows the code with the suspicious literals marked, and the ten highest
scores are listed for a look whatever their flags.
"""
from __future__ import annotations

import html
import json
from dataclasses import dataclass

from django.conf import settings
from django.db.models import F, Window
from django.db.models.functions import RowNumber
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from grader import embedded
from grader import integrity as grader_integrity
from grader.integrity import ACCURACY, EMBEDDED, PROBE
from grader.result import ABSENT, GradeResult

from ..models import Assignment, Submission
from ..states import SubmissionStatus
from . import copies, disclosure

FLAG_NAMES = {PROBE: "noise probe", ACCURACY: "implausible accuracy", EMBEDDED: "embedded data",
              copies.COPY: "copy"}


def screen(result: GradeResult, assignment: Assignment, notebook_bytes: bytes,
           scan: dict | None = None) -> GradeResult:
    """The grade with the site's flags added to the grader's: the assignment's own accuracy bar,
    and a copy of the course's released solution (other students' copies are found once the
    result is stored: copies.check). `scan`: grader.integrity.scan_upload's, if taken already."""
    result = grader_integrity.screen(result, notebook_bytes, assignment.implausible_above,
                                     settings.FLAG_EMBEDDED_DATA_BYTES, scan=scan)
    return copies.screen(result, notebook_bytes)


# --- the TA's page ---------------------------------------------------------------------

# A marked literal longer than this is shown by its two ends: a 30 KB list is no easier
# to judge in full, and the page stays light.
SHOWN_CHARS = 400


@dataclass
class CodeCell:
    number: int
    kind: str
    html: SafeString  # the source, escaped, with suspicious spans in <mark>
    findings: list[dict]


def code_cells(submission: Submission) -> list[CodeCell] | str:
    """The uploaded notebook's cells as the student wrote them, the embedded data marked;
    or why they cannot be shown. The upload was checked for size and depth when it arrived."""
    try:
        with submission.notebook.open("rb") as fh:
            nb = json.loads(fh.read())
        cells = nb["cells"]
    except (OSError, ValueError, KeyError, TypeError, RecursionError) as exc:
        return f"The uploaded notebook could not be read ({type(exc).__name__})."
    findings = (disclosure.feedback(submission).flags.embedded or {}).get("findings") or []
    shown = []
    for index, cell in enumerate(cells if isinstance(cells, list) else []):
        if not isinstance(cell, dict):
            continue
        source = embedded._text(cell.get("source"))
        mine = [f for f in findings if f.get("cell") == index]
        spans = [f for f in mine if f.get("where") == "code" and f.get("end_line")]
        shown.append(CodeCell(index + 1, str(cell.get("cell_type", "?")), _marked(source, spans), mine))
    return shown


def _marked(source: str, spans: list[dict]) -> SafeString:
    lines = source.split("\n")
    starts, total = [], 0
    for line in lines:
        starts.append(total)
        total += len(line) + 1

    def offset(line: int, col: int) -> int:
        return starts[min(max(line, 1), len(starts)) - 1] + col

    ranges = sorted((offset(f["line"], f.get("col", 0)), offset(f["end_line"], f.get("end_col", 0))) for f in spans)
    parts, at = [], 0
    for start, end in ranges:
        if start < at:  # nested or overlapping: the outer one is marked already
            continue
        parts.append(html.escape(source[at:start]))
        text = source[start:end]
        if len(text) > SHOWN_CHARS:
            text = (f"{text[:SHOWN_CHARS // 2]} … [{len(text) - SHOWN_CHARS:,} more characters] … "
                    f"{text[-SHOWN_CHARS // 4:]}")
        parts.append(f'<mark class="embedded">{html.escape(text)}</mark>')
        at = end
    parts.append(html.escape(source[at:]))
    return mark_safe("".join(parts))


def top_scores(assignment: Assignment, count: int = 10) -> list[Submission]:
    """The highest graded scores on the whole test set, one per student, whatever their flags:
    where a memorised test set would show first."""
    order = [F("accuracy").desc(), F("created_at").asc(), F("id").asc()]
    best = (Submission.objects.filter(assignment=assignment, status=SubmissionStatus.GRADED, accuracy__isnull=False)
            .annotate(place=Window(RowNumber(), partition_by=[F("student_id")], order_by=order))
            .filter(place=1).order_by(*order).values_list("pk", flat=True)[:count])
    return list(Submission.objects.filter(pk__in=list(best)).select_related("student__profile").order_by(*order))


def flag_names(submission: Submission) -> list[str]:
    kinds = disclosure.feedback(submission).flags.flags
    if kinds is ABSENT or kinds is None:  # graded before the site's own flags: the grader's probe was the only one
        kinds = [PROBE] if submission.flagged else []
    return [FLAG_NAMES.get(k, k) for k in kinds]


def copy_matches(submission: Submission) -> list[dict]:
    """The copy flag's matches, each with the page that shows the two side by side."""
    shown = []
    for match in (disclosure.feedback(submission).flags.copies or {}).get("matches") or []:
        other = match.get("other")
        url = (reverse("ta_similarity_solution", args=[submission.pk]) if other is None
               else reverse("ta_similarity_pair", args=["submission", submission.pk, other]))
        shown.append({**match, "url": url})
    return shown
