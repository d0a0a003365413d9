"""Immediate hints for the synthesis questions whose answers can be checked."""
from __future__ import annotations

import re

from ..models import Question

NUMBER = re.compile(r"(?<![\w.])(\d*\.\d+|\d+(?:\.\d+)?)(?:\s*/\s*(\d+(?:\.\d+)?))?")
# MSE of [0.25, 0.75] against [0, 1]: squared errors 0.0625 and 0.0625. Their mean is
# 0.0625; their sum, the convention the video uses for the cost, is 0.125.
MSE_ACCEPTED = (0.0625, 0.125)


def _numbers(text: str) -> list[float]:
    values = []
    for whole, denominator in NUMBER.findall(text):
        try:
            value = float(whole)
            values.append(value / float(denominator) if denominator else value)
        except (ValueError, ZeroDivisionError):
            continue
    return values


def hint_for(question: Question, text: str) -> dict | None:
    """{"ok": bool, "text": str} for a checkable question with an answer, else None."""
    text = (text or "").strip()
    if not text or not question.answer_check:
        return None
    if question.answer_check == Question.MSE:
        values = _numbers(text)
        if any(abs(v - target) < 5e-4 for v in values for target in MSE_ACCEPTED):
            return {"ok": True, "text": "That matches: each output is off by 0.25, so each squared error is 0.0625; "
                                        "averaged that is 0.0625 (summed, as the video's cost does, 0.125)."}
        return {"ok": False, "text": "Not quite. Subtract the label from each output, square each difference, then "
                                     "average them (or add them up, as the video does)."}
    if question.answer_check == Question.IS_OR_IS_NOT:
        lowered = text.lower()
        says_is_not = bool(re.search(r"\bis\s*(?:/\s*)?not\b|\bisn'?t\b", lowered))
        says_is = bool(re.search(r"\bis\b", lowered))
        if says_is_not and not re.search(r"\bis\s*/\s*is not\b", lowered):
            return {"ok": False, "text": "Think again: given its weights and biases, a network maps every input to an "
                                         "output by a fixed formula. What is that, if not a function?"}
        if says_is:
            return {"ok": True, "text": "Yes: a network is a function, with its weights and biases as the parameters. "
                                        "Now say why that matters."}
    return None
