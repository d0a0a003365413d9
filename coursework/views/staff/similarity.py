"""Suspiciously similar notebooks and essays, side by side."""
from django.http import Http404
from django.shortcuts import get_object_or_404, render

from ...models import Assignment, Submission
from ...services import similarity as similarity_service
from .permissions import staff_only


def _pairs(kind: str):
    if kind == "submission":
        assignment = Assignment.objects.the(Assignment.NOTEBOOK)
        return similarity_service.notebook_pairs(assignment) if assignment else []
    return similarity_service.essay_pairs()


@staff_only
def similarity(request):
    return render(request, "staff/similarity.html", {
        "notebook_pairs": _pairs("submission"), "essay_pairs": _pairs("essays"),
        "threshold": similarity_service.THRESHOLD,
    })


@staff_only
def similarity_pair(request, kind, a, b):
    """Two submissions side by side, with the parts they share marked. Two notebooks are
    compared directly (a copy flag links here whatever the class-wide list holds)."""
    if kind == "submission":
        found = {s.pk: s for s in Submission.objects.filter(pk__in=[a, b]).select_related("student__profile")}
        if len(found) != 2 or a == b:
            raise Http404()
        pair = similarity_service.notebook_pair(found[a], found[b])
    else:
        pair = next((p for p in _pairs(kind) if {p.a.ref[1], p.b.ref[1]} == {a, b}), None)
    return _side_by_side(request, pair, kind)


@staff_only
def similarity_solution(request, a):
    """A notebook beside the course's released solution."""
    submission = get_object_or_404(Submission.objects.select_related("student__profile"), pk=a)
    return _side_by_side(request, similarity_service.notebook_pair(submission), "submission")


def _side_by_side(request, pair, kind):
    if pair is None:
        raise Http404()
    return render(request, "staff/similarity_pair.html", {
        "pair": pair, "kind": kind,
        "left": similarity_service.highlight(pair.a.text, pair.shared, kind),
        "right": similarity_service.highlight(pair.b.text, pair.shared, kind),
    })
