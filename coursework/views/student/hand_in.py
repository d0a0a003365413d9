"""A notebook handing itself in with a personal upload token (the template's hand_in cell):
the upload page's checks, limits and messages, answered as JSON."""
from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from django_ratelimit.core import get_usage

from ...forms import NotebookUploadForm
from ...models import Assignment
from ...services import notebooks, upload_tokens
from ... import uploads
from ...uploads import size_label

# Requests per token's owner per hour, whatever their outcome (the day's upload allowance
# still applies to the ones that are stored): a loop in a notebook cannot hammer the site.
RATE = "30/h"


def _refused(message: str, status: int) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


@csrf_exempt  # no cookies: the token is the credential
@require_POST
def hand_in(request, slug):
    uploads.guard(request, settings.MAX_UPLOAD_BYTES)  # before the body is read
    sent = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    user = upload_tokens.user_for(sent) if sent else None
    if user is None:
        return _refused("That upload token is unknown or revoked: make one on your settings page on the course site.",
                        401)
    usage = get_usage(request, group="hand-in", key=lambda group, request: str(user.pk), rate=RATE, method="POST",
                      increment=True)
    if usage and usage["should_limit"]:
        return _refused("Too many hand-ins from your token in the last hour; wait a while, or upload on the page.",
                        429)
    assignment = get_object_or_404(Assignment.objects.of_kind(Assignment.NOTEBOOK), slug=slug)
    files = request.FILES  # read the body now, through the size limit
    if "notebook" in getattr(request, "oversized_uploads", {}):
        return _refused(f"{request.oversized_uploads['notebook']} is larger than {size_label(settings.MAX_UPLOAD_BYTES)},"
                        " the limit for a notebook. Clear its outputs and hand it in again.", 413)
    form = NotebookUploadForm(request.POST, files, max_bytes=settings.MAX_UPLOAD_BYTES)
    if not form.is_valid():
        return _refused(" ".join(e for errors in form.errors.values() for e in errors), 400)
    upload = form.cleaned_data["notebook"]
    try:
        submission = notebooks.submit_notebook(user, assignment, upload.name, upload)
    except notebooks.DailyLimitReached as exc:
        return _refused(str(exc), 429)
    except (notebooks.InvalidNotebook, notebooks.UploadNotStored, notebooks.TaskClosed) as exc:
        return _refused(str(exc), 400)
    return JsonResponse({"number": notebooks.number_of(submission),
                         "url": settings.SITE_URL + reverse("submission_detail", args=[submission.pk])}, status=201)
