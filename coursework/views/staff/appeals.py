"""Answering a student's appeal: the reason, the work's result then and now, the answer."""
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from ...forms import AppealAnswerForm
from ...models import Appeal, EssaySubmission, Submission
from ...services import appeals, results, rubrics
from ...states import AppealStatus
from .permissions import staff_only
from .queues import QueueQuery, next_url


def _work_url(item, appeal) -> str:
    if isinstance(item, Submission):
        return reverse("ta_notebook", args=[item.pk])
    name = "ta_review_essays" if isinstance(item, EssaySubmission) else "ta_review_synthesis"
    return reverse(name, args=[item.pk]) + f"?appeal={appeal.pk}"


@staff_only
def appeal(request, pk):
    appeal = get_object_or_404(Appeal.objects.select_related("student__profile__group", "answered_by__profile"), pk=pk)
    item = appeal.target
    query = QueueQuery.parse(request.GET, "appeals", user=request.user)
    # Every outcome is accepted from the form, so the service's refusal (not a bare "not one of
    # the choices") explains a page that was opened before the work was reviewed again.
    form = AppealAnswerForm(request.POST if request.method == "POST" else None)
    refused = ""
    if request.method == "POST" and form.is_valid():
        try:
            appeals.answer(request.user, appeal, form.cleaned_data["answer"], form.cleaned_data["outcome"])
        except appeals.AppealRefused as exc:
            refused = str(exc)
            appeal.refresh_from_db()
            item.refresh_from_db()
        else:
            messages.success(request, "Answer sent to the student.")
            return redirect(next_url("appeals", query, appeal.pk))
    if appeal.status == AppealStatus.OPEN:
        # Shown: only the answers that are true of the result now.
        form.offer(appeals.true_outcomes(appeal, item))
    return render(request, "staff/appeal.html", {
        "appeal": appeal, "item": item, "form": form, "refused": refused, "query": query.as_query(),
        "changed": appeals.changed_since_filed(appeal, item), "changed_result": appeals.result_changed(appeal, item),
        "work_url": _work_url(item, appeal),
        "result": results.for_item(item, viewer=request.user), "open": appeal.status == AppealStatus.OPEN,
        "held_review": appeals.HELD_REVIEW.removesuffix(" Your answer is still in the box."),
        "publish_url": _publish_url(item),
    })


def _publish_url(item) -> str:
    task = rubrics.task_of(item) if getattr(item, "held", False) else None
    return reverse("ta_publish_reviews", args=[task.slug]) if task else ""
