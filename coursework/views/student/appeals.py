"""A student's appeal on their own reviewed or graded work."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from ...forms import AppealForm
from ...services import appeals, deadlines, notifications, publishing, results


def _own_item(request, kind, pk):
    try:
        return appeals.item_of(request.user, kind, pk)
    except ObjectDoesNotExist:
        raise Http404() from None


@login_required
def appeal(request, kind, pk):
    """GET: the form on a page of its own, with any reason typed and not sent; POST: file it.
    Refused appeals come back here with the reason kept in the box (and as the draft)."""
    item = _own_item(request, kind, pk)
    _, item_url = notifications.describe(item)
    if publishing.seen_by(item, request.user) is not item:
        # A review held until a TA publishes it: the student sees the work as being reviewed,
        # and this page would show the held comment (and that a review exists).
        messages.info(request, "This work is being reviewed: an appeal opens once its review is published.")
        return redirect(item_url)
    draft = appeals.reason_draft(request.user, item)
    form = AppealForm(request.POST if request.method == "POST" else None,
                      initial={"seen": appeals.state_of(item)["token"], "reason": draft.fields.get("reason", "") if draft else ""})
    refused = ""
    if request.method == "POST" and form.is_valid():
        try:
            appeals.file(request.user, item, form.cleaned_data["reason"], form.cleaned_data["seen"])
        except appeals.AppealRefused as exc:
            refused = str(exc)
            draft = appeals.save_reason(request.user, item, request.POST)
            # The page now shows the current result; the next send is against it.
            form.data = form.data.copy()
            form.data["seen"] = appeals.state_of(type(item).objects.get(pk=item.pk))["token"]
        else:
            messages.success(request, "Appeal sent: your TA will answer it, and you will be told here and by e-mail.")
            return redirect(item_url + "#appeal")
    item.refresh_from_db()
    return render(request, "coursework/appeal.html", {
        "item": item, "item_url": item_url, "form": form, "refused": refused, "what": appeals.label(item),
        "result": results.for_item(item, viewer=request.user), "draft": draft,
        "restored_draft": draft if request.method == "GET" else None})


@login_required
@require_POST
def save_draft(request, kind, pk):
    """Called by the page as the student types (debounced): keep the reason."""
    draft = appeals.save_reason(request.user, _own_item(request, kind, pk), request.POST.dict())
    return JsonResponse({"saved": True, "saved_at": draft.saved_at.isoformat(),
                         "saved_label": deadlines.describe_clock(draft.saved_at)})
