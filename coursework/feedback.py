"""What a submission's feedback page shows, computed from the stored figures.

`shown` (coursework.services.disclosure) says what the viewer may see: the per-digit
figures are the whole test set's, so a student sees them only after the reveal."""
from __future__ import annotations


def digit_rows(submission, shown) -> list[dict]:
    if not shown.whole:
        return []
    fb = submission.feedback or {}
    mine, ref = fb.get("per_digit"), (fb.get("reference") or {}).get("per_digit")
    if not mine or not ref:
        return []
    return [{"digit": d, "mine": mine[d], "reference": ref[d], "delta": mine[d] - ref[d]} for d in range(10)]


def comparison(submission, shown) -> str:
    """One sentence on how the student compares with the reference network, on the same images."""
    ref = (submission.feedback or {}).get("reference", {}).get("accuracy" if shown.whole else "public_accuracy")
    if shown.accuracy is None or ref is None:
        return ""
    points = (shown.accuracy - ref) * 100
    if abs(points) < 0.05:
        return f"You match the reference network ({ref:.2%}{'' if shown.whole else ' on the public half'})."
    side = "above" if points > 0 else "below"
    where = "" if shown.whole else " on the public half"
    return f"The reference network scores {ref:.2%}{where}: you are {abs(points):.2f} points {side} it."


def weakest_digits(submission, shown, count: int = 3) -> list[dict]:
    rows = digit_rows(submission, shown)
    return sorted(rows, key=lambda r: r["mine"])[:count]
