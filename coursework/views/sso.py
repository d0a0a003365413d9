"""Single sign-on pages: off to the provider, and back (coursework/services/sso.py decides who it is)."""
import re

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render, resolve_url
from django.views.decorators.http import require_GET, require_POST
from django_ratelimit import ALL
from django_ratelimit.core import get_usage
from mozilla_django_oidc.views import OIDCAuthenticationRequestView

from ..forms import GroupChoiceForm, JoinCodeForm
from ..services import sso
from .student.accounts import ADDRESS, join_code_rate, over_limit, rate_limited

LINKING = "sso_linking"  # in the session between "link" on the settings page and the provider's answer
WAITING = "sso_waiting_for_join_code"  # a first sign-in's identity, until the join code is given


def _over_limit(request, increment: bool = False) -> bool:
    """Refused answers per address, as many as failed log-ins the form allows one address
    (a counter of its own: these pages are GETs, the form's counter counts POSTs)."""
    usage = get_usage(request, group="sso", key=ADDRESS[0], rate=ADDRESS[1], method=ALL, increment=increment)
    return bool(usage and usage["count"] >= usage["limit"])


@require_GET
def start(request):
    if request.user.is_authenticated:
        return redirect("home")
    if _over_limit(request):
        return rate_limited(request, None)
    request.session.pop(LINKING, None)
    request.session.pop(WAITING, None)  # a new sign-in replaces one left waiting for its join code
    return OIDCAuthenticationRequestView().get(request)  # a fresh state, nonce and PKCE verifier


@require_POST
@login_required
def start_link(request):
    """From the settings page (a form, so another site cannot start it for you)."""
    request.session[LINKING] = request.user.pk
    return OIDCAuthenticationRequestView().get(request)  # a fresh state, nonce and PKCE verifier


@require_GET
def callback(request):
    if _over_limit(request):
        return rate_limited(request, None)
    state = request.GET.get("state", "")
    pending = request.session.get("oidc_states") or {}
    entry = pending.pop(state, None) if isinstance(pending, dict) else None
    request.session["oidc_states"] = pending  # a state is good for one answer, refused or not
    linking = request.session.pop(LINKING, None)
    if request.GET.get("error"):
        # Only the error's code, cut to its alphabet: anyone can send a link to this page with
        # a description of their own ("call this number...").
        code = re.sub(r"[^a-z_]", "", request.GET["error"].lower())[:40]
        return _refused(request, f"The provider did not sign you in ({code}).", count=False)
    if entry is None:
        return _refused(request, "This answer from the provider does not belong to a sign-in started in this "
                                 "browser (its state is unknown or used already). Start again from the log-in page.")
    if not request.GET.get("code"):
        return _refused(request, "The provider's answer carried no sign-in code.")
    try:
        identity = sso.identify(request, request.GET["code"], entry.get("nonce"), entry.get("code_verifier"))
        if linking is not None:
            if not request.user.is_authenticated or request.user.pk != linking:
                raise sso.Refused("You were logged out before the provider answered; log in and link again.")
            sso.link(request.user, identity)
            messages.success(request, f"Linked: you can now sign in with {settings.OIDC_PROVIDER_NAME}.")
            return redirect(resolve_url("profile") + "#sso")
        user, created = sso.sign_in(identity)
    except sso.NeedsJoinCode:
        request.session[WAITING] = sso.waiting(identity)
        return redirect("sso_join")
    except sso.Refused as refused:
        return _refused(request, str(refused))
    return _signed_in(request, user, created)


def join(request):
    """A first sign-in's one question before an account is made: the course's join code."""
    if request.user.is_authenticated:
        # Someone logged in with a password in this browser since: the provider's answer was
        # another sign-in's (say, left open on a shared machine), never theirs to finish.
        request.session.pop(WAITING, None)
        return redirect("home")
    identity = sso.from_waiting(request.session.get(WAITING))
    if identity is None:
        request.session.pop(WAITING, None)
        messages.error(request, "That sign-in waited too long for the join code (or was finished already). "
                                "Sign in with your provider again.")
        return redirect("login")
    form = JoinCodeForm(request.POST or None)
    if request.method == "POST":
        # Guesses counted per address with the sign-up form's: one allowance for the join code.
        if over_limit(request, "ip", join_code_rate, group="signup"):
            return rate_limited(request, None)
        if not form.is_valid():
            get_usage(request, group="signup", key="ip", rate=join_code_rate, method="POST", increment=True)
        else:
            try:
                user, created = sso.sign_in(identity, join_code_given=True)
            except sso.Refused as refused:
                request.session.pop(WAITING, None)
                return _refused(request, str(refused))
            request.session.pop(WAITING, None)
            return _signed_in(request, user, created)
    return render(request, "registration/sso_join.html",
                  {"form": form, "identity": identity, "provider": settings.OIDC_PROVIDER_NAME})


def _signed_in(request, user, created: bool):
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    if created:
        messages.success(request, f"Welcome to the course, {user.profile.display_name} — start with the reading.")
    if sso.needs_group(user):  # as the join code's form asks for it; ?next= waits in the session
        return redirect("sso_group")
    # As the log-in form: an address in ?next= first, else TAs to their queues, students to the unit.
    return redirect(request.session.pop("oidc_login_next", None)
                    or resolve_url("ta_dashboard" if user.is_staff else "home"))


@login_required
def choose_group(request):
    if not sso.needs_group(request.user):
        return redirect("home")
    form = GroupChoiceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        sso.join_group(request.user, form.cleaned_data["group"])
        return redirect(request.session.pop("oidc_login_next", None) or resolve_url("home"))
    return render(request, "registration/sso_group.html", {"form": form})


def _refused(request, reason: str, count: bool = True):
    if count:  # an answer that fails a check is a failed log-in; the person pressing "cancel" at the provider is not
        _over_limit(request, increment=True)
    return render(request, "registration/sso_refused.html", {"reason": reason}, status=403)
