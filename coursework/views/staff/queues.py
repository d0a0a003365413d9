"""Reading a queue's filters from the URL, and the links that keep them."""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.urls import reverse

from ...services import reviews

REVIEW_PAGES = {"synthesis": "ta_review_synthesis", "essays": "ta_review_essays", "notebooks": "ta_notebook"}


@dataclass(frozen=True)
class QueueQuery:
    """The filters as the TA chose them in the URL (anything malformed is dropped, not trusted)."""

    group: str = ""
    status: str = ""
    late: str = ""  # "", "yes", "no"

    @classmethod
    def parse(cls, query, queue: str | None = None) -> "QueueQuery":
        group, status, late = query.get("group", ""), query.get("status", ""), query.get("late", "")
        allowed = reviews.QUEUE_STATUSES.get(queue) if queue else {s for v in reviews.QUEUE_STATUSES.values() for s in v}
        return cls(group=group if group.isdigit() else "", status=status if status in allowed else "",
                   late=late if late in ("yes", "no") else "")

    @property
    def filters(self) -> reviews.Filters:
        return reviews.Filters(group=int(self.group) if self.group else None, status=self.status,
                               late={"yes": True, "no": False}.get(self.late))

    def as_query(self) -> str:
        return urlencode({k: v for k, v in vars(self).items() if v})


def next_url(queue: str, query: QueueQuery, after_pk: int) -> str:
    """The next item of the same queue and filters, or the queue itself when it is empty."""
    item = reviews.next_in_queue(queue, query.filters, after_pk)
    suffix = query.as_query()
    if item is None:
        return reverse("ta_dashboard") + f"?queue={queue}" + (f"&{suffix}" if suffix else "")
    return reverse(REVIEW_PAGES[queue], args=[item.pk]) + (f"?{suffix}" if suffix else "")
