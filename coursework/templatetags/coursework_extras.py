import re

from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe

register = template.Library()


@register.filter
def percent(value, digits=2):
    """0.82031 -> '82.03%'. Figures are stored at full precision; only display rounds."""
    if value is None or value == "":
        return ""
    return f"{float(value) * 100:.{int(digits)}f}%"


@register.filter
def article(number):
    """8 -> 'an', 7 -> 'a', 11 -> 'an', 800 -> 'an': the article before a number, as the number is
    said (eight, eleven and eighteen begin with a vowel sound)."""
    digits = str(number).strip()
    lead = digits[: len(digits) % 3 or 3] if digits.isdigit() else digits  # the group said first: "eleven thousand"
    return "an" if lead.startswith("8") or lead in ("11", "18") else "a"


@register.filter
def signed_points(value):
    """-0.0123 -> '−1.23 pts': a difference of two accuracies, in percentage points."""
    if value is None:
        return ""
    points = float(value) * 100
    sign = "+" if points > 0 else "−" if points < 0 else "±"
    return f"{sign}{abs(points):.2f} pts"


@register.filter
def points_from(value, reference):
    """Accuracy minus the reference's, in percentage points."""
    if value is None or reference in (None, ""):
        return ""
    return signed_points(float(value) - float(reference))


@register.filter
def multiply(value, factor):
    return int(value) * int(factor)


@register.filter
def points(value):
    """2.5 -> '2.5', 3.0 -> '3', 2.3333 -> '2.33': points as a TA would write them."""
    if value is None or value == "":
        return ""
    return f"{round(float(value), 2):g}"


@register.filter
def person(user, fallback=""):
    """A user's display name, their username without one, or `fallback` for nobody."""
    if user is None or user == "":
        return fallback
    profile = getattr(user, "profile", None)
    return (profile.display_name if profile else "") or user.get_username()


@register.filter
def backticks(value):
    """Our own explanatory text, escaped, with `code` spans shown as code (the text may quote
    names from the student's traceback, so everything is escaped first)."""
    return mark_safe(re.sub(r"`([^`]+)`", r"<code>\1</code>", escape(str(value or ""))))


@register.filter
def without_bonus_prefix(text):
    """A bonus question's text without its own "Bonus:" (the page marks bonus questions itself)."""
    text = str(text)
    return text[len("Bonus:"):].lstrip() if text[:6].lower() == "bonus:" else text


@register.filter
def duration(seconds):
    """75.4 -> '1 min 15 s', 3725 -> '1 h 2 min', 8 -> '8 s': a wait, as a person says it."""
    if seconds is None or seconds == "":
        return ""
    total = max(0, round(float(seconds)))
    if total < 60:
        return f"{total} s"
    minutes, secs = divmod(total, 60)
    if minutes < 60:
        return f"{minutes} min {secs} s" if secs and minutes < 10 else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"
