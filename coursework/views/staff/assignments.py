"""Changing an assignment's settings from the staff pages."""
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from ...models import Assignment
from ...services.audit import audit
from .permissions import staff_only


@staff_only
@require_POST
def reveal_private(request, slug):
    assignment = get_object_or_404(Assignment.objects.of_kind(Assignment.NOTEBOOK), slug=slug)
    assignment.private_revealed = request.POST.get("reveal") == "1"
    assignment.save(update_fields=["private_revealed"])
    audit(request.user, "reveal_private" if assignment.private_revealed else "hide_private", assignment)
    messages.success(request, "The leaderboard now ranks on the " +
                     ("private half." if assignment.private_revealed else "public half."))
    return redirect("leaderboard")
