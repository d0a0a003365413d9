"""The LTI 1.3 endpoints an LMS calls (coursework.services.lti does the work).

The login and the launch arrive as cross-site requests from the LMS: they carry no CSRF
token, and need none (the launch's id_token is signed by the LMS and bound to the state
cookie the login set). Everything after the launch is an ordinary signed-in page.
"""
from __future__ import annotations

from urllib.parse import urlparse

from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpResponseNotAllowed, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from ..models import ExternalIdentity
from ..services import lti

BACKEND = "django.contrib.auth.backends.ModelBackend"


def _refused(request, message: str, status: int = 403):
    return render(request, "coursework/lti_refused.html", {"message": message}, status=status)


def jwks(request):
    """The tool's public key: the LMS checks our service requests (grades, roster) with it."""
    return JsonResponse(lti.jwks())


@csrf_exempt
def oidc_login(request):
    if request.method not in ("GET", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    try:
        return lti.begin_login(request, request.build_absolute_uri(reverse("lti_launch")))
    except lti.Refused as exc:
        return _refused(request, str(exc), status=400)


@csrf_exempt
@require_POST
def launch(request):
    try:
        result = lti.complete_launch(request)
    except lti.Refused as exc:
        return _refused(request, str(exc))
    login(request, result.user, backend=BACKEND)
    if result.staff and result.context_id:
        from ..tasks import lti_sync_roster

        transaction.on_commit(lambda: lti_sync_roster.delay(result.context_id))
    if result.deep_linking:
        return render(request, "coursework/lti_deep_link.html",
                      {"items": lti.deep_link_items(), "launch_id": result.message_launch.get_launch_id()})
    return redirect(result.next_url)


@login_required
@require_POST
def deep_link(request):
    """The instructor's choice, signed and posted back to their LMS."""
    try:
        message = lti.restore_launch(request, request.POST.get("launch_id", ""))
        data = message.get_launch_data()
    except Exception:  # pylti1p3 raises LtiException, or a bare one, for a launch it no longer holds
        return _refused(request, "This choice has expired: start again from your course.")
    mine = ExternalIdentity.objects.filter(issuer=data.get("iss"), subject=data.get("sub"), user=request.user).exists()
    if not (mine and request.user.is_staff and message.is_deep_link_launch()):
        return _refused(request, "This choice belongs to another person's launch.")
    keys = request.POST.getlist("item")
    if not keys:
        return render(request, "coursework/lti_deep_link.html",
                      {"items": lti.deep_link_items(), "launch_id": request.POST.get("launch_id"),
                       "error": "Choose at least one."})
    deep = message.get_deep_link()
    resources = lti.deep_link_resources(request.build_absolute_uri(reverse("lti_launch")), keys)
    return_url = data["https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"]["deep_link_return_url"]
    response = render(request, "coursework/lti_post_back.html",
                      {"action": return_url, "jwt": deep.get_response_jwt(resources)})
    parsed = urlparse(return_url)
    # The site's policy allows forms to post to itself only; this one goes to the LMS.
    response._csp_update = {"form-action": [f"{parsed.scheme}://{parsed.netloc}"]}
    return response
