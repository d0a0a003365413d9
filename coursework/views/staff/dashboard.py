"""The TA dashboard: the queues with their counts and filters."""
import hashlib
from dataclasses import replace

from django.core.cache import cache
from django.http import Http404
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from ...models import Assignment, QueuesVersion, StudyGroup
from ...services import anonymity, reviews
from .permissions import staff_only
from .queues import QueueQuery


@staff_only
def dashboard(request):
    queue = request.GET.get("queue", "synthesis")
    if queue not in reviews.QUEUES:
        raise Http404()
    query = QueueQuery.parse(request.GET, queue, user=request.user)
    return render(request, "staff/dashboard.html", {"queue": queue, **_listing(queue, query)})


def _listing(queue: str, query: QueueQuery) -> dict:
    """The queue's tabs, filters and first page, and the gradebook links: the same for every
    TA who chose the same filters (a TA's default view is their own groups, so those are
    part of the key), so rendered once and cached until anything they show changes
    (QueuesVersion, which database triggers keep) or another filter is chosen."""
    version = QueuesVersion.objects.values_list("version", flat=True).first() or 0
    mine = ",".join(map(str, query.mine)) if query.showing_mine else ""
    key = "ta-queue:" + hashlib.sha1(f"{version}|{queue}|{query.as_query()}|{mine}".encode()).hexdigest()
    cached = cache.get(key)
    if cached is None:
        groups = list(StudyGroup.objects.all())
        # A page of the queue; "next item" navigation from a review walks the rest.
        context = {
            "queue": queue, "items": reviews.QUEUE_FUNCTIONS[queue](query.filters)[:25], "filters": query,
            "anonymous": anonymity.queue_is_anonymous(queue),
            "query": query.as_query(),
            # Each tab counts what waits in it, under the group and lateness chosen here.
            "counts": reviews.counts(replace(query.filters, status="")), "count_cap": reviews.COUNT_CAP,
            "groups": groups, "my_groups": [g for g in groups if g.pk in query.mine],
            "assignments": Assignment.objects.all(),
        }
        cached = {"listing": render_to_string("staff/_queue.html", context),
                  "links": render_to_string("staff/_gradebook_links.html", context)}
        cache.set(key, cached, 600)
    return {name: mark_safe(html) for name, html in cached.items()}  # our own templates' output
