"""An essay prompt's recurring passages in groups of similar ones, each group graded at once on
a criterion of the essays' rubric, each essay adjustable (coursework.services.passages)."""
from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from ...forms import parse_points
from ...models import Assignment, EssayPrompt, EssaySubmission
from ...services import passages, rubrics
from .grouping import MEMBERS_SHOWN, tell
from .permissions import staff_only

GROUPS_PER_PAGE = 25
WORDINGS_SHOWN = 10
NAMES_PER_WORDING = 5  # the essays a wording is in, named beside it (all of them in the table below)


@staff_only
def prompts(request):
    """Every essay prompt, each linking to its passages in groups."""
    return render(request, "staff/essay_prompts.html", {"prompts": passages.prompts()})


def _criterion(request, criteria):
    raw = request.POST.get("criterion") or request.GET.get("criterion") or ""
    chosen = next((c for c in criteria if str(c.pk) == raw), None)
    return chosen or next((c for c in criteria if not c.bonus and not c.deduction), None)


def _page_number(raw: str, pages: int) -> int:
    return min(max(int(raw), 1), max(pages, 1)) if raw.isdigit() and len(raw) < 6 else 1


def _chosen(post) -> tuple[dict[int, list[int]], dict[int, list[int]]]:
    """The passages to grade (the ticked wordings', those of wordings the page did not list) and
    the group's others (unticked): an essay with one of those is left out. A grade with every
    listed wording unticked is refused, not given to the unlisted ones alone."""
    ticked = ",".join(post.getlist("passages"))
    if not passages.parse_ids(ticked):
        raise passages.GradeRefused("No essays were chosen: tick at least one wording.")
    chosen = passages.parse_ids(ticked + "," + post.get("unlisted", ""))
    left_out = {essay: [i for i in indices if i not in chosen.get(essay, ())]
                for essay, indices in passages.parse_ids(post.get("in_group", "")).items()}
    return chosen, {essay: indices for essay, indices in left_out.items() if indices}


@staff_only
def passage_groups(request, pk):
    prompt = get_object_or_404(EssayPrompt, pk=pk)
    criteria = rubrics.criteria_for(EssaySubmission())
    criterion = _criterion(request, criteria)
    url = reverse("ta_passage_groups", args=[pk]) + (f"?criterion={criterion.pk}" if criterion else "")
    if request.method == "POST":
        if criterion is None:
            raise Http404()
        try:
            points = parse_points(request.POST.get("points", ""))
            chosen, left_out = _chosen(request.POST)
            outcome = passages.grade(request.user, prompt, chosen, criterion, points,
                                     request.POST.get("comment", "").strip(), replace="replace" in request.POST,
                                     left_out=left_out)
        except (ValueError, passages.GradeRefused) as exc:
            messages.error(request, str(exc) if isinstance(exc, passages.GradeRefused)
                           else "Choose a level, or type the points to give.")
            return redirect(url)
        tell(request, outcome, "essay")
        back = request.POST.get("back", "")  # the page of groups the TA was on
        return redirect(url + (f"&page={back}" if back.isdigit() else "") + f"#group-{request.POST.get('group', '')}")
    task = Assignment.objects.the(Assignment.ESSAYS)
    found = passages.groups_for(prompt, request.user, criterion)
    groups = found.groups
    # A class's recurring passages can be hundreds of groups: a page of them at a time, each
    # with its first members and wordings; one group alone (?group=N) shows all of them.
    raw = request.GET.get("group", "")
    alone = next((g for g in groups if str(g.number) == raw), None)
    pages = (len(groups) + GROUPS_PER_PAGE - 1) // GROUPS_PER_PAGE
    page = _page_number(request.GET.get("page", ""), pages)
    shown = [alone] if alone else groups[(page - 1) * GROUPS_PER_PAGE:page * GROUPS_PER_PAGE]
    for g in shown:
        g.shown = g.members if alone else g.members[:MEMBERS_SHOWN]
        g.wordings_shown = g.wordings if alone else g.wordings[:WORDINGS_SHOWN]
        for w in g.wordings_shown:
            w.shown = w.members if alone else w.members[:NAMES_PER_WORDING]
    return render(request, "staff/passage_groups.html", {
        "prompt": prompt, "criteria": criteria, "criterion": criterion, "groups": shown, "alone": alone,
        "group_count": len(groups), "anonymous": bool(task and task.anonymous_review), "essays": found.essays,
        "passages": found.passages, "recurring": sum(len(m.passages) for g in groups for m in g.members),
        "page": page, "pages": pages, "previous_page": page - 1 if page > 1 else None,
        "next_page": page + 1 if page < pages else None, "words": passages.MIN_WORDS, "share": found.share,
    })
