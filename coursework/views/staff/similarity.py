"""Suspiciously similar notebooks and essays, side by side."""
from django.http import Http404
from django.shortcuts import render

from ...models import Assignment
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
    """Two submissions side by side, with the parts they share marked."""
    pair = next((p for p in _pairs(kind) if {p.a.ref[1], p.b.ref[1]} == {a, b}), None)
    if pair is None:
        raise Http404()
    return render(request, "staff/similarity_pair.html", {
        "pair": pair, "kind": kind,
        "left": similarity_service.highlight(pair.a.text, pair.shared, kind),
        "right": similarity_service.highlight(pair.b.text, pair.shared, kind),
    })
