"""Reading a queue's filters from the URL, and the links that keep them."""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse

from ...services import groups, reviews
from .permissions import staff_only

REVIEW_PAGES = {"synthesis": "ta_review_synthesis", "essays": "ta_review_essays", "notebooks": "ta_notebook",
                "appeals": "ta_appeal"}
ALL, NONE = "all", "none"


@dataclass(frozen=True)
class QueueQuery:
    """The filters as the TA chose them in the URL (anything malformed is dropped, not trusted).

    `group` is "" (the default: the TA's own groups, or everyone for a TA who leads none),
    "all", "none" (students in no group) or a group's id."""

    group: str = ""
    status: str = ""
    late: str = ""  # "", "yes", "no"
    mine: tuple[int, ...] = ()  # the groups this TA leads (not part of the URL)

    @classmethod
    def parse(cls, query, queue: str | None = None, user=None) -> "QueueQuery":
        group, status, late = query.get("group", ""), query.get("status", ""), query.get("late", "")
        allowed = reviews.QUEUE_STATUSES.get(queue) if queue else {s for v in reviews.QUEUE_STATUSES.values() for s in v}
        group = group if group.isdigit() or group in (ALL, NONE) else ""
        mine = groups.groups_led_by(user) if user is not None and not group else ()
        return cls(group=group, status=status if status in allowed else "",
                   late=late if late in ("yes", "no") else "", mine=mine)

    @property
    def showing_mine(self) -> bool:
        return not self.group and bool(self.mine)

    @property
    def filters(self) -> reviews.Filters:
        return reviews.Filters(group=int(self.group) if self.group.isdigit() else None,
                               groups=self.mine if self.showing_mine else None, unassigned=self.group == NONE,
                               status=self.status, late={"yes": True, "no": False}.get(self.late))

    def as_query(self) -> str:
        return urlencode({k: getattr(self, k) for k in ("group", "status", "late") if getattr(self, k)})


def next_url(queue: str, query: QueueQuery, after_pk: int | None, ta=None) -> str:
    """The next item of the same queue and filters (claimed for `ta`, skipping what other
    TAs hold), or the queue itself when it is empty."""
    item = reviews.next_in_queue(queue, query.filters, after_pk, ta=ta)
    suffix = query.as_query()
    if item is None:
        return reverse("ta_dashboard") + f"?queue={queue}" + (f"&{suffix}" if suffix else "")
    return reverse(REVIEW_PAGES[queue], args=[item.pk]) + (f"?{suffix}" if suffix else "")


def item_url(queue: str, pk: int | None, query: QueueQuery) -> str:
    if pk is None:
        return ""
    suffix = query.as_query()
    return reverse(REVIEW_PAGES[queue], args=[pk]) + (f"?{suffix}" if suffix else "")


@staff_only
def next_item(request, queue: str):
    """"Start reviewing": the first item of the queue no other TA holds, claimed for this TA."""
    if queue not in reviews.QUEUES:
        raise Http404()
    query = QueueQuery.parse(request.GET, queue, user=request.user)
    return redirect(next_url(queue, query, None, ta=request.user))
