"""A notebook that needs a TA: its log, regrade, the flag decision."""
from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from ...grading import regrade
from ...models import Assignment, Submission
from ...services import anonymity, claims, credit, disclosure, integrity, reviews
from ...services.audit import history
from .permissions import staff_only
from .queues import QueueQuery, next_url


@staff_only
def notebook(request, pk):
    submission = get_object_or_404(Submission.objects.select_related("student__profile", "assignment"), pk=pk)
    query = QueueQuery.parse(request.GET, "notebooks", user=request.user)
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "regrade":
            regrade.regrade([submission.pk], request.user, via="dashboard")
            messages.success(request, "Queued for regrading.")
        elif action in ("cleared", "upheld"):
            reviews.resolve_flag(submission, request.user, action)
            messages.success(request, "Flag resolved: " + ("the submission counts." if action == "cleared"
                                                             else "the submission does not count."))
            return redirect(next_url("notebooks", query, submission.pk, ta=request.user))
        suffix = query.as_query()
        return redirect(reverse("ta_notebook", args=[pk]) + (f"?{suffix}" if suffix else ""))
    cells = integrity.code_cells(submission)
    events = list(history(submission))
    return render(request, "staff/notebook.html", {
        "submission": submission, "query": query.as_query(), "history": events,
        "anonymous": anonymity.names_hidden(submission, request.user, events),
        "anonymous_label": anonymity.label(submission), "reveal_reasons": anonymity.REASONS,
        "cells": cells if isinstance(cells, list) else [], "cells_problem": cells if isinstance(cells, str) else "",
        "flags": integrity.flag_names(submission), "embedded": disclosure.feedback(submission).flags.embedded or None,
        "copies": integrity.copy_matches(submission),
        "render_max_attempts": settings.GRADER_RENDER_MAX_ATTEMPTS,
        "credit": None if submission.is_check else credit.for_item(submission, request.user),
        # Opening a notebook that waits in the queue claims it: another TA's "next" skips it.
        "claim": claims.claim(submission, request.user) if reviews.waits_for_a_ta(submission) else None,
    })


@staff_only
def top_scores(request):
    """The ten highest scores on the whole test set with their flags: where a memorised
    test set shows first, so TAs look whether or not anything was flagged."""
    assignment = Assignment.objects.the(Assignment.NOTEBOOK)
    if assignment is None:
        raise Http404("no notebook assignment")
    rows = [(s, integrity.flag_names(s)) for s in integrity.top_scores(assignment)]
    return render(request, "staff/top_scores.html", {"assignment": assignment, "rows": rows})


@staff_only
@require_POST
def regrade_all_failed(request):
    count = regrade.regrade_problems(request.user)
    messages.success(request, f"{count} notebooks queued for regrading.")
    return redirect(reverse("ta_dashboard") + "?queue=notebooks")
