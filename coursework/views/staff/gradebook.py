"""Grades as CSV, for the whole course or one task."""
import csv
import itertools

from django.http import Http404, StreamingHttpResponse

from ...services import gradebook
from .permissions import staff_only


@staff_only
def gradebook_csv(request, slug=None):
    try:
        header, rows = gradebook.task_rows(slug) if slug else gradebook.rows()
    except gradebook.UnknownTask:
        raise Http404("no such task") from None
    # Streamed: rows are produced a batch of students at a time, never the whole class at once.
    writer = csv.writer(_Echo())
    lines = itertools.chain([writer.writerow(header)], (writer.writerow([cell(v) for v in row]) for row in rows))
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{f"gradebook-{slug}.csv" if slug else "gradebook.csv"}"'
    return response


# A spreadsheet reads a cell that starts with one of these as a formula, and a student
# chooses their display name ("=HYPERLINK(...)"). OWASP's advice: a leading quote makes it
# text; numbers (a negative one included) are left as numbers.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value):
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class _Echo:
    """A file-like object whose write returns the line, so csv.writer can feed a stream."""

    def write(self, value):
        return value
