"""Log-in (rate limited), sign-up with the course's join code, and the student's own settings."""
from django.contrib import messages
from django.conf import settings
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import redirect, render, resolve_url
from django_ratelimit.core import get_usage

from ...forms import ProfileForm, SignupForm
from ...models import Profile
from ...services import groups


def signup(request):
    if request.user.is_authenticated:
        return redirect("home")
    form = SignupForm(request.POST or None, choose_group=groups.chooses_at_signup())
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
    form = ProfileForm(request.POST or None, instance=profile)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Saved.")
        return redirect("profile")
    return render(request, "registration/profile.html", {"form": form})


def _failures_rate(group, request) -> str:
    return f"{settings.LOGIN_FAILURES_ALLOWED}/15m"


def _address_rate(group, request) -> str:
    # Generous per address: a classroom shares one, and its students may all mistype.
    return f"{settings.LOGIN_FAILURES_ALLOWED * 10}/15m"


def _username(group, request) -> str:
    return (request.POST.get("username") or "").strip().lower()


LIMITS = ((_username, _failures_rate), ("ip", _address_rate))


class LoginView(auth_views.LoginView):
    """Django's log-in, slowed down for guessers: after a few failed attempts for one
    username (or many from one address) in fifteen minutes, further attempts are refused
    for a while. Only failures count; django-ratelimit keeps the counters in the cache."""

    def post(self, request, *args, **kwargs):
        for key, rate in LIMITS:
            usage = get_usage(request, group="login", key=key, rate=rate, method="POST", increment=False)
            if usage and usage["count"] >= usage["limit"]:
                return rate_limited(request, None)
        response = super().post(request, *args, **kwargs)
        if response.status_code == 200:  # the form came back: the log-in failed
            for key, rate in LIMITS:
                get_usage(request, group="login", key=key, rate=rate, method="POST", increment=True)
        return response

    def get_default_redirect_url(self):
        # TAs come to work the queues; the unit's overview is a student's starting point.
        # An address in ?next= still wins (get_success_url tries it first).
        if self.request.user.is_staff:
            return resolve_url("ta_dashboard")
        return super().get_default_redirect_url()


def rate_limited(request, exception):
    return render(request, "registration/rate_limited.html", status=429)
