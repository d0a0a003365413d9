"""The inbox: a student's notifications, newest first."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme

from ...models import Notification
from ...services import notifications


@login_required
def inbox(request):
    if request.method == "POST":
        count = notifications.mark_all_read(request.user)
        messages.success(request, f"Marked {count} notification{'s' if count != 1 else ''} read.")
        return redirect("inbox")
    return render(request, "coursework/inbox.html", {"notifications": notifications.inbox(request.user)})


@login_required
def open_notification(request, pk):
    """Mark it read and go to what it is about (someone else's is a 404)."""
    try:
        notification = notifications.open_notification(request.user, pk)
    except Notification.DoesNotExist:
        raise Http404() from None
    if notification.url and url_has_allowed_host_and_scheme(notification.url, allowed_hosts=None):
        return redirect(notification.url)
    return redirect("inbox")
