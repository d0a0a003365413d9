"""The unit's pages: overview, reading, video sections, project specs, archive."""
from django.shortcuts import get_object_or_404, render

from ...models import Assignment, Page, SynthesisResponse
from ...rendering import render_page_markdown
from ...services import deadlines
from ...states import ReviewStatus
from ..visitors import content_version, kept_for_visitors


@kept_for_visitors(content_version)
def overview(request):
    page = Page.objects.filter(kind=Page.OVERVIEW).first()
    pages = Page.objects.exclude(kind=Page.OVERVIEW).select_related("question_set")
    statuses = {}
    assignments = Assignment.objects.unit_tasks()
    synthesis_terms = None
    if request.user.is_authenticated:
        # A review not published yet (services.publishing) leaves the answers "submitted" for their student.
        statuses = {page_id: ReviewStatus.SUBMITTED if held else status for page_id, status, held in
                    SynthesisResponse.objects.filter(student=request.user)
                    .values_list("question_set__page_id", "status", "held")}
        # The student's own due date and the late policy (their extension, if any).
        synthesis_terms = deadlines.terms_for(request.user, assignments.get(Assignment.SYNTHESIS))
    return render(request, "coursework/overview.html", {
        "page": page,
        "body": render_page_markdown(page.body) if page else "",
        "readings": [p for p in pages if p.kind == Page.READING],
        "videos": [(p, statuses.get(p.pk)) for p in pages if p.kind == Page.VIDEO and not _optional(p)],
        "extra_videos": [(p, statuses.get(p.pk)) for p in pages if p.kind == Page.VIDEO and _optional(p)],
        "projects": [p for p in pages if p.kind == Page.PROJECT],
        "archive": [p for p in pages if p.kind == Page.ARCHIVE],
        "assignments": assignments, "synthesis_terms": synthesis_terms,
    })


def _optional(page):
    question_set = getattr(page, "question_set", None)
    return bool(question_set and question_set.optional)


@kept_for_visitors(content_version)
def page_detail(request, slug):
    page = get_object_or_404(Page, slug=slug)
    return render(request, "coursework/page.html", {
        "page": page,
        "body": render_page_markdown(page.body, figures=True),
        "question_set": getattr(page, "question_set", None),
    })
