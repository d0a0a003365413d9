"""Whole pages kept for visitors who are not signed in, until what they show changes.

At a deadline most requests are people reading the unit and the leaderboard, and for a
visitor who is not signed in each of those pages is the same for everyone. Rendering one
costs several milliseconds of the web's CPU (its queries and templates); a kept copy costs
one version read. That CPU is what the grading of the same rush needs (benchmarks/load.py).

A page is kept under its path and a version that changes whenever anything it shows can
(database counters kept by triggers, coursework/cache_triggers.py), so a kept page is
never stale: the first request after a change renders afresh. Kept per process (a
bounded in-process cache of its own): a new deploy's templates never meet pages kept by the
old code, and two sites on one Redis never share pages.

Only a plain GET of someone with no session and no pending messages is served or kept, and
only a response that sets no cookie (a page with a form would set the CSRF cookie).
"""
import functools
import hashlib

from django.conf import settings
from django.core.cache import caches
from django.db import connection
from django.http import HttpResponse

from ..models import ContentVersion

CACHE = "visitor_pages"


def content_version(request, *args, **kwargs) -> str:
    """The version of the unit's pages and tasks: one primary-key read, in SQL of its own
    (building it with the ORM cost 0.8 ms of the web's CPU, most of what a kept page costs)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT version FROM {ContentVersion._meta.db_table} ORDER BY id LIMIT 1")
        row = cursor.fetchone()
    return str(row[0] if row else 0)


def _plain_visitor(request) -> bool:
    cookies = request.COOKIES
    return (request.method in ("GET", "HEAD") and settings.SESSION_COOKIE_NAME not in cookies
            and "messages" not in cookies and not request.user.is_authenticated)


def kept_for_visitors(version, params: tuple[str, ...] = ()):
    """Serve a view's page to plain visitors from the copy kept for `version(request, *args,
    **kwargs)` (a string that changes whenever the page would); everyone else gets the view.
    `params` names the query parameters the view reads: only they are part of the key, so
    made-up query strings share one copy instead of pushing the real pages out."""
    def decorate(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            if not _plain_visitor(request):
                return view(request, *args, **kwargs)
            cache = caches[CACHE]
            query = [(name, request.GET.get(name)) for name in params]
            page = f"{view.__module__}.{view.__name__}|{request.path}|{query}|{version(request, *args, **kwargs)}"
            key = hashlib.sha256(page.encode()).hexdigest()
            kept = cache.get(key)
            if kept is not None:
                content, content_type = kept
                return HttpResponse(content, content_type=content_type)
            response = view(request, *args, **kwargs)
            if response.status_code == 200 and not response.cookies and not response.streaming:
                cache.set(key, (response.content, response["Content-Type"]))
            return response
        return wrapper
    return decorate
