"""What of a notebook's grade a viewer may see.

The MNIST test set is public, so any figure computed on the private half before the
deadline lets a student pick their final submission by the held-out images (the full
accuracy does too: with the public half it gives the private one). Until a TA reveals the
private half, a student sees the public half only: its accuracy, the credit that accuracy
would earn, and the digits it got wrong there. Staff see everything, always; after the
reveal, students see both halves and the whole test set.

Every page and fragment that shows a student a grade takes its figures from here, and
reads the stored feedback through feedback() (typed: grader.result.Feedback).
"""
from __future__ import annotations

from dataclasses import dataclass

from grader.result import ABSENT, Feedback
from grader.scoring import halves

from ..models import Assignment, Submission

TEST_IMAGES = 10_000
PUBLIC_IMAGES = len(halves(TEST_IMAGES)[0])


def sees_whole_test_set(viewer, assignment: Assignment) -> bool:
    return bool(viewer is not None and viewer.is_staff) or assignment.private_revealed


def ranking_field(viewer, assignment: Assignment) -> str:
    """The field a viewer's "best" notebook is chosen by: choosing by the full accuracy
    would tell a student which of their notebooks does best on the private half."""
    return "accuracy" if sees_whole_test_set(viewer, assignment) else "public_accuracy"


@dataclass(frozen=True)
class Shown:
    whole: bool  # the whole test set's figures may be shown
    accuracy: float | None  # the headline: the whole test set, or the public half before the reveal
    public_accuracy: float | None
    private_accuracy: float | None  # None until the reveal
    score: float | None  # the fraction of the credit at the headline accuracy, before any late penalty
    misclassified_total: int | None

    @property
    def scope(self) -> str:
        return (f"the {TEST_IMAGES:,} MNIST test images" if self.whole
                else f"the public half of the MNIST test set ({PUBLIC_IMAGES:,} images)")

    @property
    def provisional(self) -> bool:
        """The credit shown is the public half's: the grade counts the whole test set after the reveal."""
        return not self.whole and self.score is not None


def feedback(submission: Submission) -> Feedback:
    """The submission's stored feedback, typed (any row, however old, reads)."""
    return Feedback.from_json(submission.feedback)


def shown(submission: Submission, viewer) -> Shown:
    assignment = submission.assignment
    if sees_whole_test_set(viewer, assignment):
        score = submission.score
        if score is None and submission.accuracy is not None:
            score = assignment.score_for(submission.accuracy)
        total = feedback(submission).scores.misclassified_total
        return Shown(True, submission.accuracy, submission.public_accuracy, submission.private_accuracy,
                     score, None if total is ABSENT else total)
    public = submission.public_accuracy
    return Shown(False, public, public, None, assignment.score_for(public) if public is not None else None,
                 round((1 - public) * PUBLIC_IMAGES) if public is not None else None)


def public_misclassified(items: list[dict]) -> list[dict]:
    """The gallery's digits that lie in the public half (the picture a student sees before the reveal)."""
    public = set(halves(TEST_IMAGES)[0].tolist())
    return [item for item in items if item.get("index") in public]


def figures(submission: Submission, seen: Shown) -> dict:
    """The per-digit figures the viewer may see: the whole test set's, or before the reveal
    the public half's (per digit, confusion and example images of that half only; empty
    for a grade stored before the public half's were kept)."""
    fb = feedback(submission)
    reference = fb.scores.reference or {}
    if seen.whole:
        return {"per_digit": fb.scores.per_digit or None, "reference": reference.get("per_digit"),
                "confusion": fb.scores.confusion or None, "confused_pairs": fb.scores.confused_pairs or None,
                "images": TEST_IMAGES}
    public = fb.public
    return {"per_digit": (public and public.per_digit) or None, "reference": reference.get("public_per_digit"),
            "confusion": (public and public.confusion) or None,
            "confused_pairs": (public and public.confused_pairs) or None, "images": TEST_IMAGES // 2}


def misclassified(submission: Submission, seen: Shown) -> list[dict]:
    """The gallery's digits the viewer may see: before the reveal, those of the public half."""
    items = feedback(submission).scores.misclassified or []
    return items if seen.whole else public_misclassified(items)
