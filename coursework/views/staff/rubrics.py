"""Building rubrics in the TA pages: criteria per task (and per question set), their
points, levels and comment banks, in an order staff choose."""
from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from ...forms import CommentFormSet, CriterionForm, LevelFormSet
from ...models import Assignment, QuestionSet, RubricCriterion
from ...services import rubrics
from .permissions import staff_only


def _scope(slug: str, set_slug: str | None) -> rubrics.Scope:
    assignment = get_object_or_404(Assignment.objects.filter(kind__in=[Assignment.ESSAYS, Assignment.SYNTHESIS]),
                                   slug=slug)
    if assignment.kind == Assignment.SYNTHESIS:
        if set_slug is None:
            raise Http404("choose a question set")
        return rubrics.Scope(assignment, get_object_or_404(QuestionSet.objects.select_related("page"),
                                                           page__slug=set_slug))
    if set_slug is not None:
        raise Http404()
    return rubrics.Scope(assignment)


def scope_url(scope: rubrics.Scope) -> str:
    if scope.question_set is not None:
        return reverse("ta_rubric_set", args=[scope.assignment.slug, scope.question_set.page.slug])
    return reverse("ta_rubric", args=[scope.assignment.slug])


def _criterion_scope(criterion: RubricCriterion) -> rubrics.Scope:
    return rubrics.Scope(criterion.assignment, criterion.question_set)


@staff_only
def rubric_list(request):
    return render(request, "staff/rubrics.html", {"scopes": [(s, n, scope_url(s)) for s, n in rubrics.scopes()]})


@staff_only
def rubric(request, slug, set_slug=None):
    scope = _scope(slug, set_slug)
    if request.GET.get("download") == "json":
        name = "-".join(["rubric", slug] + ([set_slug] if set_slug else []))
        response = HttpResponse(rubrics.as_text(scope), content_type="application/json; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}.json"'
        return response
    form = CriterionForm(request.POST if request.method == "POST" and "import" not in request.POST else None)
    import_error, import_text = "", ""
    if request.method == "POST" and "import" in request.POST:
        upload = request.FILES.get("rubric_file")
        import_text = request.POST.get("rubric_text", "")
        try:
            added = rubrics.import_text(request.user, scope, upload.read(rubrics.MAX_TEXT_BYTES + 1) if upload
                                        else import_text)
        except rubrics.RubricRefused as refused:
            import_error = f"Nothing was added. {refused}"  # the page comes back with the pasted text
        else:
            messages.success(request, f"Added {added} criteria from the rubric text.")
            return redirect(scope_url(scope))
    elif request.method == "POST":
        if "suggested" in request.POST:
            added = rubrics.seed_scope(scope)
            messages.success(request, f"Added {added} suggested criteria." if added else
                             "This rubric already has criteria; nothing was added.")
            return redirect(scope_url(scope))
        if form.is_valid():
            criterion = rubrics.add_criterion(request.user, scope, **form.cleaned_data)
            messages.success(request, f"Added \u201c{criterion.name}\u201d. Give it levels and comments below.")
            return redirect("ta_criterion", pk=criterion.pk)
    criteria = list(scope.criteria())
    return render(request, "staff/rubric.html", {
        "scope": scope, "criteria": criteria, "form": form, "maximum": rubrics.maximum(criteria),
        "import_error": import_error, "import_text": import_text,
        "own": {c.pk for c in criteria if c.question_set_id == (scope.question_set.pk if scope.question_set else None)},
    })


@staff_only
def criterion(request, pk):
    """One criterion: its title, points and description, its levels and its comment bank."""
    criterion = get_object_or_404(RubricCriterion.objects.select_related("assignment", "question_set__page"), pk=pk)
    scope = _criterion_scope(criterion)
    before = rubrics.describe_criterion(criterion)
    data = request.POST if request.method == "POST" else None
    form = CriterionForm(data, instance=criterion)
    max_points = criterion.max_points
    if data is not None and form.is_valid():
        max_points = form.cleaned_data["max_points"]
    levels = LevelFormSet(data, instance=criterion, prefix="levels", max_points=max_points)
    comments = CommentFormSet(data, instance=criterion, prefix="comments")
    if data is not None and form.is_valid() and levels.is_valid() and comments.is_valid():
        with transaction.atomic():
            form.save()
            levels.save()
            saved = comments.save(commit=False)
            last = max((c.order for c in criterion.comments.all()), default=0)
            for comment in saved:
                if not comment.pk:
                    last += 1
                    comment.order = last
                comment.save()
            for gone in comments.deleted_objects:
                gone.delete()
            rubrics.record_edit(request.user, criterion, before)
        messages.success(request, f"Saved \u201c{criterion.name}\u201d.")
        if "add_more" in request.POST:
            return redirect("ta_criterion", pk=criterion.pk)
        return redirect(scope_url(scope))
    return render(request, "staff/criterion.html", {"criterion": criterion, "scope": scope, "scope_url": scope_url(scope),
                                                    "form": form, "levels": levels, "comments": comments})


@staff_only
@require_POST
def criterion_move(request, pk):
    criterion = get_object_or_404(RubricCriterion, pk=pk)
    step = {"up": -1, "down": 1}.get(request.POST.get("direction"))
    if step is not None:
        rubrics.move(request.user, criterion, step)
    return redirect(scope_url(_criterion_scope(criterion)) + f"#criterion-{criterion.pk}")


@staff_only
@require_POST
def criterion_delete(request, pk):
    criterion = get_object_or_404(RubricCriterion, pk=pk)
    scope = _criterion_scope(criterion)
    rubrics.delete(request.user, criterion)
    messages.success(request, f"Removed \u201c{criterion.name}\u201d. Reviews already given keep their points for it.")
    return redirect(scope_url(scope))
