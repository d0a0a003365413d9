"""What a submission's feedback page shows, computed from the stored figures."""
from __future__ import annotations


def digit_rows(submission) -> list[dict]:
    fb = submission.feedback or {}
    mine, ref = fb.get("per_digit"), (fb.get("reference") or {}).get("per_digit")
    if not mine or not ref:
        return []
    return [{"digit": d, "mine": mine[d], "reference": ref[d], "delta": mine[d] - ref[d]} for d in range(10)]


def comparison(submission) -> str:
    """One sentence on how the student compares with the reference network."""
    ref = (submission.feedback or {}).get("reference", {}).get("accuracy")
    if submission.accuracy is None or ref is None:
        return ""
    points = (submission.accuracy - ref) * 100
    if abs(points) < 0.05:
        return f"You match the reference network ({ref:.2%})."
    side = "above" if points > 0 else "below"
    return f"The reference network scores {ref:.2%}: you are {abs(points):.2f} points {side} it."


def weakest_digits(submission, count: int = 3) -> list[dict]:
    rows = digit_rows(submission)
    return sorted(rows, key=lambda r: r["mine"])[:count]
