"""A student's own progress: every task, its status, score, review, due date and what is left."""
from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from ...services import progress as progress_service


@login_required
def progress(request):
    return render(request, "coursework/progress.html", {"progress": progress_service.for_student(request.user)})
