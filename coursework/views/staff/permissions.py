"""Who may open a staff page."""
from __future__ import annotations

import functools

from django.contrib.auth.decorators import login_required
from django.http import Http404


def staff_only(view):
    """TAs only. Anyone else signed in gets a 404: the page's existence is not theirs to know."""

    @functools.wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if not request.user.is_staff:
            raise Http404()
        return view(request, *args, **kwargs)

    return wrapper
