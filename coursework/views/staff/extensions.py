"""Deadlines: each task's due date and late policy, and extensions (a later due date for
one student or a whole group, on one task)."""
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.http import JsonResponse
from django.views.decorators.http import require_GET, require_POST

from ...forms import ExtensionForm, TaskTermsForm
from ...models import Assignment, Extension
from ...services import deadlines, groups, reviews
from .permissions import staff_only


@staff_only
def extensions(request):
    initial = {"student": request.GET.get("student", "")}
    form = ExtensionForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            extension = deadlines.grant_extension(request.user, data["assignment"], data["due_at"],
                                                  student=data["student"], group=data["group"], reason=data["reason"])
        except deadlines.ExtensionRefused as exc:
            form.add_error(None, str(exc))
        else:
            who = reviews.person(extension.student) if extension.student else f"group {extension.group.name}"
            messages.success(request, f"{extension.assignment.title}: {who} now has until "
                                      f"{deadlines.describe_moment(extension.due_at)}.")
            return redirect("ta_extensions")
    listed = Extension.objects.select_related("assignment", "student__profile", "group", "granted_by__profile")
    tasks = [(task, TaskTermsForm(instance=task, prefix=task.slug)) for task in Assignment.objects.order_by("pk")]
    return render(request, "staff/extensions.html", {"form": form, "extensions": listed, "tasks": tasks})


@staff_only
def task_terms(request, slug):
    """One task's due date and late policy; GET shows the form alone, POST saves it."""
    task = get_object_or_404(Assignment, slug=slug)
    form = TaskTermsForm(request.POST if request.method == "POST" else None, instance=task, prefix=task.slug)
    if request.method == "POST" and form.is_valid():
        changed = deadlines.set_terms(request.user, task, **{k: form.cleaned_data[k] for k in deadlines.TERMS_FIELDS})
        messages.success(request, f"{task.title}: saved. {changed} piece{'s' if changed != 1 else ''} of work "
                                  "changed between late and on time.")
        return redirect("ta_extensions")
    return render(request, "staff/task_terms.html", {"task": task, "form": form})


@staff_only
@require_POST
def extension_withdraw(request, pk):
    extension = get_object_or_404(Extension.objects.select_related("assignment", "student", "group"), pk=pk)
    deadlines.withdraw_extension(request.user, extension)
    messages.success(request, "Extension withdrawn: the task's own due date applies again.")
    return redirect("ta_extensions")


@staff_only
@require_GET
def student_search(request):
    """The extension form's picker: students matching what the TA typed, as JSON."""
    found = groups.find_students(request.GET.get("q", ""))
    return JsonResponse({"students": [{"username": s.get_username(), "label": groups.picker_label(s)} for s in found]})
