"""Synthesis answers: the form, the autosave endpoint, submission."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from ...models import Assignment, QuestionSet
from ...rendering import render_page_markdown
from ...services import deadlines, publishing, results, synthesis


def _texts_from(post) -> dict[int, str]:
    texts = {}
    for key, value in post.items():
        if key.startswith("q-") and key[2:].isdigit():
            texts[int(key[2:])] = value
    return texts


@login_required
def question_set(request, slug):
    qs = get_object_or_404(QuestionSet.objects.select_related("page"), page__slug=slug)
    response = synthesis.response_for(request.user, qs)
    errors = []
    if request.method == "POST":
        texts = _texts_from(request.POST)
        submitting = "submit" in request.POST
        if submitting and (missing := synthesis.missing_answers(qs, texts)):
            errors.append("Answer every question before submitting (bonus questions are optional); "
                          f"still blank: {', '.join(f'question {n}' for n in missing)}.")
            if closed := synthesis.closed_to(request.user, qs):
                errors.append(closed)  # every reason at once, not one per round
            submitting = False
        try:
            response = synthesis.save_answers(request.user, qs, texts, submit=submitting)
        except (synthesis.NotEditable, synthesis.TaskClosed) as exc:
            errors.append(str(exc) + (" Your answers are saved as a draft." if isinstance(exc, synthesis.TaskClosed)
                                      else ""))
        else:
            if not errors:
                messages.success(request, "Submitted: your TA will review your answers." if submitting else "Draft saved.")
                return redirect("question_set", slug=slug)
    texts = _texts_from(request.POST) if errors else synthesis.answers_by_question(response)
    hints, hinted = synthesis.hints(qs, texts), synthesis.hinted(qs)
    response.refresh_from_db()
    return render(request, "coursework/question_set.html", {
        "qs": qs, "page": qs.page, "response": publishing.seen_by(response, request.user), "errors": errors,
        "terms": deadlines.terms_for(request.user, Assignment.objects.the(Assignment.SYNTHESIS)),
        "result": results.for_item(response, viewer=request.user),
        "body": render_page_markdown(qs.page.body),
        "questions": [(q, texts.get(q.pk, ""), hints.get(q.pk), hinted.get(q.pk)) for q in qs.questions.all()],
        "hinted": hinted,
    })


@login_required
@require_POST
def autosave(request, slug):
    """Called by the page as the student types: save the draft, answer with hints."""
    qs = get_object_or_404(QuestionSet, page__slug=slug)
    texts = _texts_from(request.POST)
    try:
        response = synthesis.save_answers(request.user, qs, texts)
    except synthesis.NotEditable as exc:
        return JsonResponse({"saved": False, "error": str(exc)}, status=409)
    return JsonResponse({
        "saved": True, "saved_at": response.saved_at.isoformat(), "saved_label": deadlines.describe_clock(response.saved_at),
        "status": response.status,
        "hints": {str(k): v for k, v in synthesis.hints(qs, texts).items()},
    })
