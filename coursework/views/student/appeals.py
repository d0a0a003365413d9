"""A student's appeal on their own reviewed or graded work."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404
from django.shortcuts import redirect, render

from ...forms import AppealForm
from ...services import appeals, notifications, results


@login_required
def appeal(request, kind, pk):
    """GET: the form on a page of its own; POST: file it. Refused appeals come back here
    with the reason kept in the box."""
    try:
        item = appeals.item_of(request.user, kind, pk)
    except ObjectDoesNotExist:
        raise Http404() from None
    _, item_url = notifications.describe(item)
    form = AppealForm(request.POST if request.method == "POST" else None, initial={"seen": appeals.state_of(item)["token"]})
    refused = ""
    if request.method == "POST" and form.is_valid():
        try:
            appeals.file(request.user, item, form.cleaned_data["reason"], form.cleaned_data["seen"])
        except appeals.AppealRefused as exc:
            refused = str(exc)
            # The page now shows the current result; the next send is against it.
            form.data = form.data.copy()
            form.data["seen"] = appeals.state_of(type(item).objects.get(pk=item.pk))["token"]
        else:
            messages.success(request, "Appeal sent: your TA will answer it, and you will be told here and by e-mail.")
            return redirect(item_url + "#appeal")
    item.refresh_from_db()
    return render(request, "coursework/appeal.html", {
        "item": item, "item_url": item_url, "form": form, "refused": refused, "what": appeals.label(item),
        "result": results.for_item(item, viewer=request.user)})
