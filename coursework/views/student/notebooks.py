from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core import signing
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from ... import feedback
from ...forms import NotebookUploadForm
from ...grading import conditions, queue
from ...models import Assignment, Submission
from ...services import (credit, deadlines, disclosure, finals, leaderboard, pictures, project_files, results,
                         solutions)
from ...services import notebooks as services
from ...uploads import limit_upload_size, size_label


def _visible_submission(user, pk: int) -> Submission:
    """The submission if this user may see it; 404 otherwise (never 403: that confirms it exists)."""
    return get_object_or_404(services.submissions_visible_to(user), pk=pk)


@login_required
@limit_upload_size(lambda: settings.MAX_UPLOAD_BYTES)
def assignment_detail(request, slug):
    assignment = get_object_or_404(Assignment.objects.of_kind(Assignment.NOTEBOOK), slug=slug)
    if request.method == "POST":
        form = NotebookUploadForm(request.POST, request.FILES, max_bytes=settings.MAX_UPLOAD_BYTES)
    else:
        form = NotebookUploadForm(max_bytes=settings.MAX_UPLOAD_BYTES)
    if request.method == "POST":
        oversized = getattr(request, "oversized_uploads", {})
        if "notebook" in oversized:
            form.is_valid()  # binds the form, so the error below can be attached
            form.add_error(None, f"{oversized['notebook']} is larger than {size_label(settings.MAX_UPLOAD_BYTES)}, "
                                 "the limit for a notebook. Clear its outputs and upload it again.")
        elif form.is_valid():
            upload = form.cleaned_data["notebook"]
            # One file field, two buttons: "Check my notebook" runs a check instead.
            submit = services.submit_check if request.POST.get("action") == "check" else services.submit_notebook
            try:
                submission = submit(request.user, assignment, upload.name, upload)
            except (services.InvalidNotebook, services.DailyLimitReached, services.UploadNotStored,
                    services.TaskClosed) as exc:
                form.add_error("notebook", str(exc))
            else:
                return redirect("submission_detail", pk=submission.pk)
    submissions = list(services.numbered(assignment.submissions.filter(student=request.user)))
    whole = disclosure.sees_whole_test_set(request.user, assignment)
    for submission in submissions:
        submission.assignment = assignment
        submission.shown = disclosure.shown(submission, request.user)
    return render(
        request,
        "coursework/assignment_detail.html",
        {"assignment": assignment, "form": form, "submissions": submissions,
         "limits": conditions.limits_for(assignment), "libraries": conditions.libraries_for(assignment),
         "uploads_left": services.uploads_left_today(request.user, assignment),
         "checks_left": services.checks_left_today(request.user, assignment),
         "checks_per_day": settings.NOTEBOOK_CHECKS_PER_DAY, "check_sample": settings.GRADER_CHECK_SAMPLE,
         "checks": services.recent_checks(request.user, assignment),
         "terms": deadlines.terms_for(request.user, assignment),
         "whole": whole, "reference": conditions.reference_accuracy(whole),
         "solution": solutions.access(request.user, assignment),
         "finals": finals.summary(request.user, assignment, submissions)},
    )


@login_required
def submission_detail(request, pk):
    submission = _visible_submission(request.user, pk)
    # A check hands nothing in: it has no result to appeal.
    result = None if submission.is_check else results.for_item(submission, viewer=request.user)
    return render(request, "coursework/submission_detail.html",
                  {**_feedback_context(submission, request.user), "result": result,
                   "number": services.number_of(submission)})


@login_required
@require_POST
def final_upload(request, pk):
    """Mark (or, with action=unmark, unmark) one of the student's uploads as final."""
    # Someone else's upload is not found, as everywhere on a student's pages (its existence
    # is not theirs to know); the service refuses it in words for other callers.
    slug = Submission.objects.filter(pk=pk, student=request.user).values_list("assignment__slug", flat=True).first()
    if slug is None:
        raise Http404("no such upload")
    change = finals.unmark if request.POST.get("action") == "unmark" else finals.mark
    try:
        submission = change(request.user, pk)
    except finals.FinalRefused as exc:
        messages.error(request, str(exc))
        return redirect(f"{reverse('assignment_detail', args=[slug])}#attempts")
    messages.success(request, f"Upload {services.number_of(submission)} is {'no longer ' if submission.final_marked_at is None else ''}"
                              "one of your final uploads.")
    return redirect(f"{reverse('assignment_detail', args=[submission.assignment.slug])}#attempts")


@require_GET
def template_notebook(request, slug):
    assignment = get_object_or_404(Assignment.objects.of_kind(Assignment.NOTEBOOK), slug=slug)
    template = project_files.template_for(assignment)
    return FileResponse(open(template, "rb"), as_attachment=True, filename=template.name,
                        content_type="application/x-ipynb+json")


@login_required
@require_GET
def solution_notebook(request, slug):
    assignment = get_object_or_404(Assignment.objects.of_kind(Assignment.NOTEBOOK), slug=slug)
    if not solutions.access(request.user, assignment).open:
        raise Http404("the solution is not open to you yet")
    solution = project_files.solution_for(assignment)
    return FileResponse(open(solution, "rb"), as_attachment=True, filename=solution.name,
                        content_type="application/x-ipynb+json")


def _feedback_context(submission, viewer) -> dict:
    shown = disclosure.shown(submission, viewer)
    graded = submission.accuracy is not None
    figures = disclosure.figures(submission, shown)
    misclassified = disclosure.misclassified(submission, shown)
    return {
        "submission": submission,
        "shown": shown,
        # The figure that counts (after any late penalty); a check hands nothing in.
        "credit": None if submission.is_check else credit.for_item(submission, viewer),
        "notebook_token": notebook_link_token(submission.pk),
        "digits": feedback.digit_rows(submission, shown),
        "comparison": feedback.comparison(submission, shown),
        "weakest": feedback.weakest_digits(submission, shown),
        "steps": feedback.next_steps(submission, shown),
        # The pictures as HTML, of what the viewer may see: before the reveal a student's
        # are the public half's confusion and wrong digits only.
        "confusion": pictures.confusion_rows({"confusion": figures["confusion"]} if graded else {}),
        "misclassified": pictures.misclassified_tiles({"misclassified": misclassified} if graded else {}),
        "queue": queue.place_of(submission) if submission.is_pending else None,
        # Before the reveal, what this upload did to the student's public score (the Ladder).
        "ladder": (leaderboard.ladder_step(submission)
                   if graded and not submission.is_check and not submission.assignment.private_revealed
                   and viewer.pk == submission.student_id else None),
    }


# The executed notebook may contain anything a student's code printed, including
# HTML and scripts. It is served with a CSP sandbox (no scripts, an opaque origin)
# and shown in a sandboxed iframe, so nothing in it runs with this site's cookies.
NOTEBOOK_CSP = "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'; font-src data:"


NOTEBOOK_LINK_SALT = "submission-notebook"


def notebook_link_token(submission_id: int) -> str:
    """A short-lived capability for one executed notebook. The page frames the notebook
    in a sandboxed iframe, whose opaque origin sends no session cookie, so the frame's
    URL itself carries the permission (issued only to someone who may see the page)."""
    return signing.TimestampSigner(salt=NOTEBOOK_LINK_SALT).sign(str(submission_id))


@require_GET
def submission_notebook(request, pk):
    token = request.GET.get("token")
    if token:
        try:
            signed_pk = signing.TimestampSigner(salt=NOTEBOOK_LINK_SALT).unsign(token, max_age=3600)
        except signing.BadSignature:
            raise Http404("this link has expired; reload the submission page") from None
        if signed_pk != str(pk):
            raise Http404("no executed notebook")
        submission = get_object_or_404(Submission.all_runs, pk=pk)  # a check has a page too
    elif request.user.is_authenticated:
        submission = _visible_submission(request.user, pk)
    else:
        return redirect_to_login(request.get_full_path())
    if not submission.executed_html:
        raise Http404("no executed notebook")
    response = FileResponse(submission.executed_html.open("rb"), content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = NOTEBOOK_CSP
    response["X-Content-Type-Options"] = "nosniff"
    response["X-Frame-Options"] = "SAMEORIGIN"
    return response


@login_required
@require_GET
def submission_figure(request, pk, name):
    submission = _visible_submission(request.user, pk)
    # Before the reveal a student gets the public half's gallery, and no confusion matrix
    # (it counts the whole test set).
    if disclosure.sees_whole_test_set(request.user, submission.assignment):
        field = {"confusion": submission.confusion_png, "misclassified": submission.gallery_png}.get(name)
    else:
        field = {"misclassified": submission.public_gallery_png}.get(name)
    if not field:
        raise Http404("no such figure")
    response = FileResponse(field.open("rb"), content_type="image/png")
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_GET
def submission_status(request, pk):
    """The status fragment the detail page polls until grading ends."""
    submission = _visible_submission(request.user, pk)
    return render(request, "coursework/_submission_status.html", _feedback_context(submission, request.user))
