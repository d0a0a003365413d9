"""One student's history, for a TA, with their group and extensions."""
from django.contrib.auth import get_user_model
from django.shortcuts import get_object_or_404, render

from ...models import Extension, StudyGroup
from ...services import gradebook
from .permissions import staff_only


@staff_only
def student_timeline(request, pk):
    student = get_object_or_404(get_user_model().objects.select_related("profile__group"), pk=pk)
    return render(request, "staff/student.html", {
        "student": student, "events": gradebook.timeline(student, viewer=request.user), "groups": StudyGroup.objects.all(),
        "extensions": Extension.objects.filter(student=student).select_related("assignment"),
    })
