"""The conditions a notebook of an assignment is graded under, for the run and for the pages
that tell students about them: its limits, the libraries it can import, and the reference
network its accuracy is compared with."""
from __future__ import annotations

from django.conf import settings

from grader import environments
from grader.limits import Limits
from grader.reference import reference_summary_if_trained
from reference_nn.persist import load_metadata

from ..models import Assignment

def limits_for(assignment: Assignment) -> Limits:
    """The limits a notebook of this assignment runs under (the defaults, with its overrides)."""
    return Limits.from_settings(assignment.limits)


def libraries_for(assignment: Assignment) -> list[tuple[str, str]]:
    """[(package, version)] a notebook of this assignment can import, for its page."""
    return environments.libraries(assignment.environment)


def reference_accuracy(whole: bool = True) -> float | None:
    """The baseline's test accuracy, from the metadata `train_reference` wrote (None until
    trained); with whole=False, on the public half (from its figures, if computed yet)."""
    if not whole:
        figures = reference_figures()
        return figures["public_accuracy"] if figures else None
    meta = load_metadata(settings.REFERENCE_MODEL_PATH)
    return meta.get("test_accuracy") if meta else None


def reference_figures() -> dict | None:
    """The reference network's figures on the test set, for pages (never trains it)."""
    return reference_summary_if_trained()
