"""What every page's header needs."""
from django.utils.functional import cached_property

from .services.notifications import unread_count


class _Inbox:
    def __init__(self, user):
        self.user = user

    @cached_property
    def unread(self) -> int:
        # One query on a partial index, made only by a page that shows the header.
        return unread_count(self.user)


def inbox(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"inbox": _Inbox(user)}
