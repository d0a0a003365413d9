"""Sign-up with the course's join code, and the student's own settings."""
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from ..forms import ProfileForm, SignupForm
from ..models import Profile


def signup(request):
    if request.user.is_authenticated:
        return redirect("home")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
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
