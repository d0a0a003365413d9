"""Error pages that need more than Django's default handlers give them."""
from django.shortcuts import render


def csrf_failure(request, reason=""):
    """A refused form (a stale tab, cookies cleared) gets the site's own 403 page, with its
    header and the person's own navigation. Django's default renders 403_csrf.html without
    the request, so the header would show a signed-in person the visitor's links. Django's
    middleware has already logged the reason (django.security.csrf); the page does not show it."""
    return render(request, "403.html", {"csrf_failed": True}, status=403)
