"""Extensions: a later due date for one student or a whole group, on one task."""
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from ...forms import ExtensionForm
from ...models import Extension
from ...services import deadlines
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
            who = extension.student.get_username() if extension.student else f"group {extension.group.name}"
            messages.success(request, f"{extension.assignment.title}: {who} now has until "
                                      f"{deadlines.describe_moment(extension.due_at)}.")
            return redirect("ta_extensions")
    listed = Extension.objects.select_related("assignment", "student__profile", "group", "granted_by")
    return render(request, "staff/extensions.html", {"form": form, "extensions": listed})


@staff_only
@require_POST
def extension_withdraw(request, pk):
    extension = get_object_or_404(Extension.objects.select_related("assignment", "student", "group"), pk=pk)
    deadlines.withdraw_extension(request.user, extension)
    messages.success(request, "Extension withdrawn: the task's own due date applies again.")
    return redirect("ta_extensions")
