"""The TA dashboard: queues, reviews with a rubric, notebooks, per-student history, gradebook."""
from __future__ import annotations

import csv
import functools
import itertools

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from ..models import (Assignment, AuditEvent, EssaySubmission, StudyGroup, Submission, SynthesisResponse)
from ..services import gradebook, reviews
from ..services import similarity as similarity_service
from ..services.synthesis import answers_by_question


def staff_only(view):
    """TAs only. Anyone else signed in gets a 404: the page's existence is not theirs to know."""

    @functools.wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if not request.user.is_staff:
            raise Http404()
        return view(request, *args, **kwargs)

    return wrapper


@staff_only
def dashboard(request):
    filters = reviews.Filters.from_query(request.GET)
    queue = request.GET.get("queue", "synthesis")
    if queue not in reviews.QUEUES:
        raise Http404()
    # A page of the queue; "next item" navigation from a review walks the rest.
    items = reviews.QUEUE_FUNCTIONS[queue](filters)[:25]
    return render(request, "staff/dashboard.html", {
        "queue": queue, "items": items, "filters": filters, "query": filters.as_query(),
        "counts": reviews.counts(filters), "count_cap": reviews.COUNT_CAP, "groups": StudyGroup.objects.all(),
        "assignments": Assignment.objects.all(),
    })


def _next_url(queue: str, filters: reviews.Filters, after_pk: int) -> str:
    """The next item of the same queue and filters, or the queue itself when it is empty."""
    item = reviews.next_in_queue(queue, filters, after_pk)
    query = filters.as_query()
    if item is None:
        return reverse("ta_dashboard") + f"?queue={queue}" + (f"&{query}" if query else "")
    name = {"synthesis": "ta_review_synthesis", "essays": "ta_review_essays", "notebooks": "ta_notebook"}[queue]
    return reverse(name, args=[item.pk]) + (f"?{query}" if query else "")


def _rubric_points(request, criteria) -> dict[int, float]:
    points = {}
    for criterion in criteria:
        raw = request.POST.get(f"criterion-{criterion.pk}", "").strip()
        try:
            points[criterion.pk] = float(raw) if raw else 0.0
        except ValueError:
            points[criterion.pk] = 0.0
    return points


def _review(request, item, kind: str, queue: str, template: str, context: dict):
    filters = reviews.Filters.from_query(request.GET)
    criteria = reviews.rubric_for(kind)
    if request.method == "POST":
        reviews.review(item, request.user, _rubric_points(request, criteria), request.POST.get("feedback", ""),
                       request_resubmission="request_resubmission" in request.POST)
        messages.success(request, "Resubmission requested." if "request_resubmission" in request.POST else "Review saved.")
        return redirect(_next_url(queue, filters, item.pk))
    rubric = [(c, item.rubric_scores.get(str(c.pk), "")) for c in criteria]
    history = AuditEvent.objects.filter(target=f"{queue}:{item.pk}").select_related("actor")
    return render(request, template, {**context, "item": item, "rubric": rubric, "history": history,
                                      "query": filters.as_query(), "queue": queue})


@staff_only
def review_synthesis(request, pk):
    response = get_object_or_404(SynthesisResponse.objects.select_related("student__profile", "question_set__page"), pk=pk)
    answers = answers_by_question(response)
    questions = [(q, answers.get(q.pk, "")) for q in response.question_set.questions.all()]
    return _review(request, response, Assignment.SYNTHESIS, "synthesis", "staff/review_synthesis.html",
                   {"questions": questions})


@staff_only
def review_essays(request, pk):
    submission = get_object_or_404(EssaySubmission.objects.select_related("student__profile"), pk=pk)
    return _review(request, submission, Assignment.ESSAYS, "essays", "staff/review_essays.html",
                   {"essays": submission.essays.select_related("prompt"),
                    "versions": EssaySubmission.objects.filter(student=submission.student)})


@staff_only
def notebook(request, pk):
    submission = get_object_or_404(Submission.objects.select_related("student__profile", "assignment"), pk=pk)
    filters = reviews.Filters.from_query(request.GET)
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "regrade":
            reviews.regrade_with_audit([submission], request.user)
            messages.success(request, "Queued for regrading.")
        elif action in ("cleared", "upheld"):
            reviews.resolve_flag(submission, request.user, action)
            messages.success(request, "Flag resolved: " + ("the submission counts." if action == "cleared" else "the submission does not count."))
            return redirect(_next_url("notebooks", filters, submission.pk))
        return redirect(reverse("ta_notebook", args=[pk]) + (f"?{filters.as_query()}" if filters.as_query() else ""))
    return render(request, "staff/notebook.html", {
        "submission": submission, "query": filters.as_query(),
        "history": AuditEvent.objects.filter(target=f"submission:{submission.pk}").select_related("actor"),
    })


@staff_only
@require_POST
def regrade_all_failed(request):
    queryset = Submission.objects.filter(status__in=[Submission.FAILED, Submission.ERROR])
    count = reviews.regrade_with_audit(queryset.select_related("student"), request.user)
    messages.success(request, f"{count} notebooks queued for regrading.")
    return redirect(reverse("ta_dashboard") + "?queue=notebooks")


@staff_only
def student_timeline(request, pk):
    student = get_object_or_404(get_user_model().objects.select_related("profile"), pk=pk)
    events = gradebook.timeline(student)
    return render(request, "staff/student.html", {"student": student, "events": events})


@staff_only
@require_POST
def reveal_private(request, slug):
    assignment = get_object_or_404(Assignment, slug=slug, kind=Assignment.NOTEBOOK)
    assignment.private_revealed = request.POST.get("reveal") == "1"
    assignment.save(update_fields=["private_revealed"])
    reviews.audit(request.user, "reveal_private" if assignment.private_revealed else "hide_private",
                  f"assignment:{assignment.pk}", None)
    messages.success(request, "The leaderboard now ranks on the " +
                     ("private half." if assignment.private_revealed else "public half."))
    return redirect("leaderboard")


class _Echo:
    """A file-like object whose write returns the line, so csv.writer can feed a stream."""

    def write(self, value):
        return value


@staff_only
def gradebook_csv(request, slug=None):
    # Streamed: rows are produced a batch of students at a time, never the whole class at once.
    header, rows = gradebook.task_rows(slug) if slug else gradebook.rows()
    writer = csv.writer(_Echo())
    lines = itertools.chain([writer.writerow(header)], (writer.writerow(row) for row in rows))
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    name = f"gradebook-{slug}.csv" if slug else "gradebook.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@staff_only
def similarity(request):
    assignment = Assignment.objects.filter(kind=Assignment.NOTEBOOK).first()
    return render(request, "staff/similarity.html", {
        "notebook_pairs": similarity_service.notebook_pairs(assignment) if assignment else [],
        "essay_pairs": similarity_service.essay_pairs(),
        "threshold": similarity_service.THRESHOLD,
    })


@staff_only
def similarity_pair(request, kind, a, b):
    """Two submissions side by side, with the parts they share marked."""
    pairs = (similarity_service.notebook_pairs(Assignment.objects.filter(kind=Assignment.NOTEBOOK).first())
             if kind == "submission" else similarity_service.essay_pairs())
    pair = next((p for p in pairs if {p.a.ref[1], p.b.ref[1]} == {a, b}), None)
    if pair is None:
        raise Http404()
    return render(request, "staff/similarity_pair.html", {
        "pair": pair, "kind": kind,
        "left": similarity_service.highlight(pair.a.text, pair.shared, kind),
        "right": similarity_service.highlight(pair.b.text, pair.shared, kind),
    })
