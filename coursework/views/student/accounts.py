"""Log-in (rate limited), sign-up with the course's join code, and the student's own settings."""
import hashlib

from django.contrib import messages
from django.conf import settings
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.cache import cache
from django.db import transaction
from django.shortcuts import redirect, render, resolve_url
from django_ratelimit.core import get_usage

from ...forms import ProfileForm, SignupForm
from ...models import Profile
from ...services import groups, sso, upload_tokens


def signup(request):
    if request.user.is_authenticated:
        return redirect("home")
    form = SignupForm(request.POST or None, choose_group=groups.chooses_at_signup())
    if request.method == "POST" and over_limit(request, "ip", join_code_rate, group="signup"):
        return rate_limited(request, None)
    if request.method == "POST" and form.has_error("join_code"):  # a guess: counted per address
        get_usage(request, group="signup", key="ip", rate=join_code_rate, method="POST", increment=True)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():  # the user, the profile and its group together
            user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, f"Welcome to the course, {user.profile.display_name} — start with the reading.")
        return redirect("home")
    return render(request, "registration/signup.html", {"form": form})


@login_required
def profile(request):
    profile, _ = Profile.objects.get_or_create(
        user=request.user, defaults={"display_name": request.user.get_username(),
                                     "leaderboard_alias": f"student-{request.user.pk}"})
    token_action = request.POST.get("token") if request.method == "POST" else None
    form = ProfileForm(request.POST if request.method == "POST" and not token_action else None, instance=profile)
    new_token, token_error = None, ""
    if token_action == "make":
        try:
            new_token = upload_tokens.make(request.user, request.POST.get("token_name", ""))
        except upload_tokens.TokenRefused as refused:
            token_error = str(refused)
        # Not redirected: the token is shown this once, on this page, and kept nowhere else.
    elif token_action == "revoke":
        if upload_tokens.revoke(request.user, int(request.POST.get("pk") or 0)):
            messages.success(request, "Revoked: that token hands nothing in any more.")
        return redirect(resolve_url("profile") + "#upload-tokens")
    elif request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Saved.")
        return redirect("profile")
    identities = sso.identities(request.user)
    return render(request, "registration/profile.html", {
        "form": form, "tokens": upload_tokens.active(request.user), "new_token": new_token,
        "token_error": token_error, "site_url": settings.SITE_URL,
        "identities": identities, "sso_name": _sso_name(),
        # One account at the configured provider per person: the button goes once it is linked.
        "sso_can_link": bool(_sso_name()) and not any(i.issuer == settings.OIDC_OP_ISSUER for i in identities)})


def _failures_rate(group, request) -> str:
    return f"{settings.LOGIN_FAILURES_ALLOWED}/15m"


def _address_rate(group, request) -> str:
    # Generous per address: a classroom shares one, and its students may all mistype.
    return f"{settings.LOGIN_FAILURES_ALLOWED * 10}/15m"


def _account_at_address(group, request) -> str:
    # As the log-in form reads the name (NFKC), then case-folded: "ｓａｍ" and "Sam" are
    # sam's counter, not fresh ones.
    name = User.normalize_username((request.POST.get("username") or "").strip()).casefold()
    return f"{name}|{request.META.get('REMOTE_ADDR', '')}"


# Failures are counted per account and address together, so a stranger elsewhere cannot
# lock a student out by typing their name with wrong passwords (a limit per account alone
# had locked the real TA out after five); and per address, which stops one address trying
# many accounts. An account that has logged in from an address before may still log in
# from it once that address is over its limit: a classroom behind one address is not shut
# out because someone there sprayed names.
PAIR = (_account_at_address, _failures_rate)
ADDRESS = ("ip", _address_rate)
KNOWN_FOR_S = 90 * 24 * 3600


def join_code_rate(group, request) -> str:
    # A class signs up from one address in its first session; forty guesses in a second did not.
    return f"{settings.JOIN_CODE_GUESSES_ALLOWED}/15m"


def over_limit(request, key, rate, group="login") -> bool:
    usage = get_usage(request, group=group, key=key, rate=rate, method="POST", increment=False)
    return bool(usage and usage["count"] >= usage["limit"])


def _known_key(request) -> str:
    return "login-known:" + hashlib.sha256(_account_at_address(None, request).encode()).hexdigest()


class LoginView(auth_views.LoginView):
    """Django's log-in, slowed down for guessers: after a few failed attempts for one
    account from one address (or many from one address) in fifteen minutes, further
    attempts are refused for a while. Only failures count; django-ratelimit keeps the
    counters in the cache every web process shares."""

    def post(self, request, *args, **kwargs):
        if over_limit(request, *PAIR) or (over_limit(request, *ADDRESS) and not cache.get(_known_key(request))):
            return rate_limited(request, None)
        response = super().post(request, *args, **kwargs)
        if response.status_code == 200:  # the form came back: the log-in failed
            for key, rate in (PAIR, ADDRESS):
                get_usage(request, group="login", key=key, rate=rate, method="POST", increment=True)
        else:
            cache.set(_known_key(request), True, KNOWN_FOR_S)
        return response

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "sso_name": _sso_name()}

    def get_default_redirect_url(self):
        # TAs come to work the queues; the unit's overview is a student's starting point.
        # An address in ?next= still wins (get_success_url tries it first).
        if self.request.user.is_staff:
            return resolve_url("ta_dashboard")
        return super().get_default_redirect_url()


def _sso_name() -> str:
    """The single sign-on button's provider, or "" while single sign-on is off."""
    return settings.OIDC_PROVIDER_NAME if settings.SSO_ENABLED else ""


def rate_limited(request, exception):
    return render(request, "registration/rate_limited.html", status=429)
