"""Revealing the leaderboard's private half: a confirmation that says when the deadline
is, refused before it unless a TA overrides it on purpose (audited)."""
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from ...forms import RevealForm
from ...models import Assignment
from ...services import deadlines, publishing
from ...services.audit import audit
from .permissions import staff_only


@staff_only
def reveal_private(request, slug):
    assignment = get_object_or_404(Assignment.objects.of_kind(Assignment.NOTEBOOK), slug=slug)
    deadline = deadlines.last_due(assignment)
    early = deadline is not None and timezone.now() < deadline
    revealing = not assignment.private_revealed
    form = RevealForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        reason = form.cleaned_data["reason"].strip()
        if revealing and early and not form.cleaned_data["override"]:
            form.add_error("override", "The deadline has not passed: students still working would see the "
                                       "private-half ranking. Tick the override (and say why) to reveal anyway.")
        elif revealing and early and not reason:
            form.add_error("reason", "Say why the private half is revealed before the deadline.")
        else:
            assignment.private_revealed = revealing
            assignment.save(update_fields=["private_revealed"])
            audit(request.user, "reveal_private" if revealing else "hide_private", assignment,
                  deadline=deadline.isoformat() if deadline else None, before_deadline=early,
                  override=bool(revealing and early), reason=reason)
            messages.success(request, "The leaderboard now ranks on the " +
                             ("private half." if revealing else "public half."))
            return redirect("leaderboard")
    return render(request, "staff/reveal.html", {"assignment": assignment, "deadline": deadline, "early": early,
                                                 "revealing": revealing, "form": form})


@staff_only
def publish_reviews(request, slug):
    """A task's reviews: whether they reach students at once or when published, and the
    button that publishes the held ones (it says how many it will release)."""
    assignment = get_object_or_404(Assignment.objects.filter(kind__in=list(publishing.REVIEWED_KINDS)), slug=slug)
    if request.method == "POST":
        if "publish" in request.POST:
            released = publishing.publish(request.user, assignment)
            messages.success(request, f"Published {released} review{'' if released == 1 else 's'}: "
                                      "their students can see them now and were told." if released else
                                      "There was nothing left to publish.")
        elif request.POST.get("publish_reviews") in dict(Assignment.PUBLISH_CHOICES):
            publishing.set_mode(request.user, assignment, request.POST["publish_reviews"])
            messages.success(request, f"Reviews of {assignment.title} now reach students "
                                      f"{assignment.get_publish_reviews_display().lower()}.")
        return redirect("ta_publish_reviews", slug=slug)
    return render(request, "staff/publish.html", {"assignment": assignment, "held": publishing.held_count(assignment),
                                                  "choices": Assignment.PUBLISH_CHOICES})
