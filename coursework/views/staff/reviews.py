"""Reviewing synthesis answers and essay sets against the rubric."""
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render

from ...models import Assignment, EssaySubmission, SynthesisResponse
from ...services import reviews
from ...services.audit import history
from ...services.synthesis import answers_by_question
from .permissions import staff_only
from .queues import QueueQuery, next_url


def _rubric_points(post, criteria) -> dict[int, float]:
    points = {}
    for criterion in criteria:
        raw = post.get(f"criterion-{criterion.pk}", "").strip()
        try:
            points[criterion.pk] = float(raw) if raw else 0.0
        except ValueError:
            points[criterion.pk] = 0.0
    return points


def _review(request, item, kind: str, queue: str, template: str, context: dict):
    query = QueueQuery.parse(request.GET, queue)
    criteria = reviews.rubric_for(kind)
    if request.method == "POST":
        resubmit = "request_resubmission" in request.POST
        reviews.review(item, request.user, _rubric_points(request.POST, criteria), request.POST.get("feedback", ""),
                       request_resubmission=resubmit)
        messages.success(request, "Resubmission requested." if resubmit else "Review saved.")
        return redirect(next_url(queue, query, item.pk))
    rubric = [(c, item.rubric_scores.get(str(c.pk), "")) for c in criteria]
    return render(request, template, {**context, "item": item, "rubric": rubric, "history": history(item),
                                      "query": query.as_query(), "queue": queue})


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
