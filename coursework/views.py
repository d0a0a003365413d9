from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET

from grader.notebooks import InvalidNotebook

from . import services
from .forms import NotebookUploadForm
from .models import Assignment


def home(request):
    return render(request, "coursework/home.html", {"assignments": Assignment.objects.all()})


@login_required
def assignment_detail(request, slug):
    assignment = get_object_or_404(Assignment, slug=slug)
    form = NotebookUploadForm(request.POST or None, request.FILES or None, max_bytes=settings.MAX_UPLOAD_BYTES)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["notebook"]
        try:
            submission = services.submit_notebook(request.user, assignment, upload.name, upload.read())
        except InvalidNotebook as exc:
            form.add_error("notebook", str(exc))
        else:
            return redirect("submission_detail", pk=submission.pk)
    submissions = assignment.submissions.filter(student=request.user)
    return render(
        request,
        "coursework/assignment_detail.html",
        {"assignment": assignment, "form": form, "submissions": submissions},
    )


@login_required
def submission_detail(request, pk):
    submission = services.visible_submission(request.user, pk)
    return render(request, "coursework/submission_detail.html", {"submission": submission})


@login_required
@require_GET
def submission_status(request, pk):
    """The status fragment the detail page polls until grading ends."""
    submission = services.visible_submission(request.user, pk)
    return render(request, "coursework/_submission_status.html", {"submission": submission})
