"""The TA dashboard: the three queues with their counts and filters."""
from dataclasses import replace

from django.http import Http404
from django.shortcuts import render

from ...models import Assignment, StudyGroup
from ...services import reviews
from .permissions import staff_only
from .queues import QueueQuery


@staff_only
def dashboard(request):
    queue = request.GET.get("queue", "synthesis")
    if queue not in reviews.QUEUES:
        raise Http404()
    query = QueueQuery.parse(request.GET, queue)
    # A page of the queue; "next item" navigation from a review walks the rest.
    items = reviews.QUEUE_FUNCTIONS[queue](query.filters)[:25]
    return render(request, "staff/dashboard.html", {
        "queue": queue, "items": items, "filters": query, "query": query.as_query(),
        # Each tab counts what waits in it, under the group and lateness chosen here.
        "counts": reviews.counts(replace(query.filters, status="")), "count_cap": reviews.COUNT_CAP,
        "groups": StudyGroup.objects.all(),
        "assignments": Assignment.objects.all(),
    })
