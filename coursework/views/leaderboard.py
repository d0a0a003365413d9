"""The leaderboard, for everyone: best graded notebook per student, with the reference as a baseline."""
from django.http import Http404
from django.shortcuts import render

from ..models import Assignment
from ..services import leaderboard


def _context(request):
    assignment = Assignment.objects.filter(kind=Assignment.NOTEBOOK).first()
    if assignment is None:
        raise Http404("no notebook assignment")
    from grader.reference import reference_summary

    try:
        ref = reference_summary()
        field = "private_accuracy" if assignment.private_revealed else "public_accuracy"
        reference, description = ref[field], ref["description"]
    except (OSError, KeyError, ValueError):
        reference, description = None, ""
    try:
        page = max(1, int(request.GET.get("page", 1)))
    except ValueError:
        page = 1
    size = leaderboard.PAGE_SIZE
    total = leaderboard.ranked_students(assignment)
    rows = leaderboard.standings(assignment, viewer=request.user if request.user.is_authenticated else None,
                                 limit=size, offset=(page - 1) * size)
    last_page = max(1, -(-total // size))
    if rows and (page < last_page) and reference is not None and reference < rows[-1].accuracy:
        reference = None  # the baseline sits on a later page
    if page > 1 and rows and reference is not None and reference > rows[0].accuracy:
        reference = None  # ...or on an earlier one
    return {
        "assignment": assignment, "page": page, "last_page": last_page, "total": total,
        "rows": leaderboard.with_reference(rows, reference, description),
        "half": "private" if assignment.private_revealed else "public",
        "chart": leaderboard.chart_svg(leaderboard.best_over_time(assignment), reference),
    }


def leaderboard_page(request):
    return render(request, "coursework/leaderboard.html", _context(request))


def leaderboard_rows(request):
    """The table alone, which the page polls to stay current."""
    return render(request, "coursework/_leaderboard_rows.html", _context(request))
