"""Reviewing synthesis answers and essay sets against their rubric: the work beside a
rubric pane, keyboard shortcuts, drafts saved as the TA types, save and go to the next."""
from django.contrib import messages
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from ...forms import ReviewForm
from ...models import Appeal, EssaySubmission, Submission, SynthesisResponse
from ...rendering import render_markdown
from ...services import anonymity, appeals, claims, deadlines, grouping, passages, reviews, rubrics
from ...services.audit import history
from ...services.synthesis import answers_by_question
from ...states import AppealStatus, ReviewStatus
from .permissions import staff_only
from .queues import REVIEW_PAGES, QueueQuery, item_url, next_url

KINDS = {"synthesis": SynthesisResponse, "essays": EssaySubmission}


def _initial(item, criteria, draft) -> dict:
    """What the form shows before the TA types: their unsaved draft, else the saved review."""
    if draft is not None:
        return dict(draft.fields, version=item.review_version)
    initial = {"feedback": item.ta_feedback, "feedback_only": item.feedback_only, "version": item.review_version}
    marks = rubrics.marks_of(item)
    if isinstance(item, SynthesisResponse) and item.reviewed_at is None:
        marks = grouping.marks_for(item)  # points given with a group of similar answers, not yet a review
    elif isinstance(item, EssaySubmission):
        marks.update(passages.marks_for(item))  # given with groups of similar passages since the review, if any
    for pk, mark in marks.items():
        initial[f"criterion-{pk}"] = "" if mark.points is None else f"{mark.points:g}"
        initial[f"criterion-{pk}-comment"] = mark.comment
    return initial


def _resubmit_by_initial(item) -> str:
    """The date "Request a resubmission" uses unless the TA changes it: the one already
    requested while it is still ahead (a past one would be refused), else the default from now."""
    if item.status == ReviewStatus.RESUBMIT and item.resubmit_by and item.resubmit_by > timezone.now():
        when = item.resubmit_by
    else:
        when = reviews.default_resubmit_by(item)
    return timezone.localtime(when).date().isoformat()


def _pane(form, criteria) -> list[dict]:
    """Each criterion with what the form holds for it, for the rubric pane."""
    def value(name):
        raw = form.data.get(name) if form.is_bound else form.initial.get(name)
        return "" if raw is None else raw

    return [{"criterion": c, "points": value(f"criterion-{c.pk}"), "comment": value(f"criterion-{c.pk}-comment"),
             "save_comment": bool(value(f"criterion-{c.pk}-save-comment")),
             "errors": form.errors.get(f"criterion-{c.pk}", []) + form.errors.get(f"criterion-{c.pk}-comment", [])}
            for c in criteria]


def _appeal_from(request) -> Appeal | None:
    raw = request.GET.get("appeal", "")
    return Appeal.objects.filter(pk=raw, status=AppealStatus.OPEN).first() if raw.isdigit() else None


def _review(request, item, queue: str, template: str, context: dict):
    query = QueueQuery.parse(request.GET, queue, user=request.user)
    criteria = rubrics.criteria_for(item)
    appeal = _appeal_from(request)
    conflict = None
    if request.method == "POST":
        form = ReviewForm(criteria, request.POST)
        resubmit = "request_resubmission" in request.POST
        if form.is_valid():
            day = form.cleaned_data["resubmit_by"]
            try:
                reviews.review(item, request.user, form.marks(), form.cleaned_data["feedback"],
                               feedback_only=form.cleaned_data["feedback_only"], request_resubmission=resubmit,
                               resubmit_by=deadlines.end_of_day(day) if day else None,
                               seen_version=form.cleaned_data["version"])
            except reviews.ReviewRefused as exc:
                for field, message in exc.errors.items():
                    form.add_error(field if field in form.fields else None, message)
            except reviews.StaleReview as exc:
                conflict = str(exc)
                item = exc.current
                # A second save now replaces theirs, deliberately: the form carries their version.
                form.data = form.data.copy()
                form.data["version"] = item.review_version
            else:
                messages.success(request, "Resubmission requested." if resubmit else "Review saved.")
                if appeal is not None and appeal.target == item:
                    return redirect("ta_appeal", pk=appeal.pk)
                return redirect(next_url(queue, query, item.pk, ta=request.user))
    else:
        draft = reviews.draft_for(request.user, item)
        form = ReviewForm(criteria, initial={**_initial(item, criteria, draft),
                                             "resubmit_by": _resubmit_by_initial(item)})
        if draft is not None:
            context["restored_draft"] = draft
    # Opening the item claims it (or renews this TA's claim): another TA's "next" skips it.
    claim = claims.claim(item, request.user)
    previous, following = reviews.neighbours(queue, query.filters, item)
    fingerprint = rubrics.fingerprint(criteria)
    events = list(history(item))
    return render(request, template, {
        **context, "item": item, "form": form, "pane": _pane(form, criteria), "history": events,
        "anonymous": anonymity.names_hidden(item, request.user, events), "anonymous_label": anonymity.label(item),
        "reveal_reasons": anonymity.REASONS,
        "query": query.as_query(), "queue": queue, "conflict": conflict, "appeal": appeal,
        "max_score": rubrics.maximum(criteria), "rubric_changed": rubrics.changed_since(item, fingerprint),
        "previous_url": item_url(queue, previous, query), "next_url": item_url(queue, following, query),
        "draft_url": reverse("ta_review_draft", args=[queue, item.pk]),
        "rubric_url": _rubric_url(item), "latest_appeal": appeals.latest_for(item), "claim": claim,
    })


def _rubric_url(item) -> str:
    scope = rubrics.scope_of(item)
    if scope is None:
        return ""
    if scope.question_set is not None:
        return reverse("ta_rubric_set", args=[scope.assignment.slug, scope.question_set.page.slug])
    return reverse("ta_rubric", args=[scope.assignment.slug])


@staff_only
def review_synthesis(request, pk):
    response = get_object_or_404(SynthesisResponse.objects.select_related("student__profile", "question_set__page",
                                                                          "reviewer__profile"), pk=pk)
    answers = answers_by_question(response)
    questions = [(q, answers.get(q.pk, "")) for q in response.question_set.questions.all()]
    return _review(request, response, "synthesis", "staff/review_synthesis.html", {"questions": questions})


@staff_only
def review_essays(request, pk):
    submission = get_object_or_404(EssaySubmission.objects.select_related("student__profile", "reviewer__profile"),
                                   pk=pk)
    essays = [(essay, render_markdown(essay.text)) for essay in submission.essays.select_related("prompt")]
    return _review(request, submission, "essays", "staff/review_essays.html", {
        "essays": essays, "versions": EssaySubmission.objects.filter(student=submission.student),
        "passage_grades": passages.grades_for(submission)})


@staff_only
@require_POST
def review_draft(request, kind, pk):
    """Autosave of the review form as the TA types, so leaving the page loses nothing."""
    model = KINDS.get(kind)
    if model is None:
        raise Http404()
    item = get_object_or_404(model, pk=pk)
    draft = reviews.save_draft(request.user, item, request.POST.dict())
    return JsonResponse({"saved": True, "saved_at": draft.saved_at.isoformat(),
                         "saved_label": deadlines.describe_clock(draft.saved_at)})


@staff_only
@require_POST
def reveal_name(request, kind, pk):
    """Show one anonymous item's student to this TA, for a stated reason, audited."""
    model = {**KINDS, "notebooks": Submission}.get(kind)
    if model is None:
        raise Http404()
    item = get_object_or_404(model, pk=pk)
    reason = request.POST.get("reason", "")
    if reason in anonymity.REASONS:
        anonymity.reveal(item, request.user, reason)
        messages.success(request, f"The student's name is shown to you, for {anonymity.REASONS[reason]}; this is in "
                                  "the item's history.")
    else:
        messages.error(request, "Choose why you need the student's name: it is recorded with the item.")
    query = QueueQuery.parse(request.POST, kind, user=request.user).as_query()
    return redirect(reverse(REVIEW_PAGES[kind], args=[pk]) + (f"?{query}" if query else ""))
