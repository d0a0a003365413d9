"""A synthesis question's answers in groups of similar ones, each group graded at once,
each member adjustable (coursework.services.grouping)."""
from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from ...forms import parse_points
from ...models import Assignment, Question, SynthesisResponse
from ...services import grouping, rubrics
from .permissions import staff_only


MEMBERS_SHOWN = 20
WORDINGS_SHOWN = 5  # each with a tick box; one group alone lists them all


@staff_only
def questions(request):
    """Every synthesis question, each linking to its answers in groups."""
    rows = Question.objects.select_related("question_set__page").order_by("question_set__optional",
                                                                          "question_set__page__order", "order")
    return render(request, "staff/answer_questions.html", {"questions": rows})


def _criterion(request, criteria, question):
    raw = request.POST.get("criterion") or request.GET.get("criterion") or ""
    chosen = next((c for c in criteria if str(c.pk) == raw), None)
    return chosen or grouping.criterion_for(question, criteria)


@staff_only
def answer_groups(request, pk):
    question = get_object_or_404(Question.objects.select_related("question_set__page"), pk=pk)
    criteria = rubrics.criteria_for(SynthesisResponse(question_set=question.question_set))
    criterion = _criterion(request, criteria, question)
    url = reverse("ta_answer_groups", args=[pk]) + (f"?criterion={criterion.pk}" if criterion else "")
    if request.method == "POST":
        if criterion is None:
            raise Http404()
        try:
            points = parse_points(request.POST.get("points", ""))
            # The ticked wordings' answers (and those of wordings the page did not list), or one member's;
            # every listed wording unticked is refused, not given to the unlisted ones alone.
            ticked = _ids(",".join(request.POST.getlist("answers")))
            if not ticked:
                raise grouping.GradeRefused("No answers were chosen: tick at least one wording.")
            ids = ticked + _ids(request.POST.get("unlisted", ""))
            outcome = grouping.grade(request.user, question, ids, criterion, points,
                                     request.POST.get("comment", "").strip(), replace="replace" in request.POST)
        except (ValueError, grouping.GradeRefused) as exc:
            messages.error(request, str(exc) if isinstance(exc, grouping.GradeRefused)
                           else "Choose a level, or type the points to give.")
            return redirect(url)
        tell(request, outcome)
        return redirect(url + f"#group-{request.POST.get('group', '')}")
    task = Assignment.objects.the(Assignment.SYNTHESIS)
    groups = grouping.groups_for(question, request.user, criterion)
    answers = sum(len(g.members) for g in groups)
    # The whole class in one page would be thousands of rows: each group shows its first
    # members, and one group alone (?group=N) shows them all.
    raw = request.GET.get("group", "")
    alone = next((g for g in groups if str(g.number) == raw), None)
    shown = [alone] if alone else groups
    for g in shown:
        g.shown = g.members if alone else g.members[:MEMBERS_SHOWN]
        g.wordings_shown = g.wordings if alone else g.wordings[:WORDINGS_SHOWN]
    return render(request, "staff/answer_groups.html", {
        "question": question, "criteria": criteria, "criterion": criterion, "groups": shown, "alone": alone,
        "group_count": len(groups), "anonymous": bool(task and task.anonymous_review), "answers": answers,
    })


def _ids(raw: str) -> list[int]:
    """Answer ids as the page posts them, comma-separated; anything else is dropped (an id no
    database column could hold would otherwise be an error page)."""
    return [int(pk) for pk in (p.strip() for p in raw.split(",")) if pk.isascii() and pk.isdigit() and len(pk) < 12]


def tell(request, outcome: grouping.Outcome, noun: str = "answer") -> None:
    """What a group grade did, in messages: graded, completed, and what was left alone."""
    def count(n: int, one: str, many: str) -> str:
        return f"{n} {noun} {one}" if n == 1 else f"{n} {noun}s {many}"

    said = [count(outcome.graded, "graded", "graded")]
    if outcome.reviews_completed:
        said.append(f"{outcome.reviews_completed} review{'' if outcome.reviews_completed == 1 else 's'} completed "
                    "and sent to the students")
    messages.success(request, "; ".join(said) + ".")
    if outcome.kept:
        messages.warning(request, count(outcome.kept, "was", "were") + " already graded on this criterion and kept "
                                  "their points: tick \u201creplace\u201d to overwrite them.")
    if outcome.held:
        messages.warning(request, count(outcome.held, "is", "are") + " held by another TA reviewing them now, and "
                                  "were left alone.")
    if outcome.left_out:
        one = outcome.left_out == 1
        messages.warning(request, count(outcome.left_out, "also has", "also have") + " a passage in a wording you left "
                                  f"out, and {'was' if one else 'were'} left out of this grade: grade "
                                  f"{'it on its own review page' if one else 'them on their own review pages'}.")
    if outcome.gone:
        messages.warning(request, count(outcome.gone, "was", "were") + " no longer handed in (sent back for "
                                  "resubmission) and were left alone.")
