"""Grades as CSV, for the whole course or one task."""
import csv

from django.http import Http404, HttpResponse

from ...services import gradebook
from .permissions import staff_only


@staff_only
def gradebook_csv(request, slug=None):
    try:
        header, rows = gradebook.task_rows(slug) if slug else gradebook.rows()
    except gradebook.UnknownTask:
        raise Http404("no such task") from None
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{f"gradebook-{slug}.csv" if slug else "gradebook.csv"}"'
    writer = csv.writer(response)
    writer.writerow(header)
    writer.writerows(rows)
    return response
