from django import template

register = template.Library()


@register.filter
def percent(value, digits=2):
    """0.82031 -> '82.03%'. Figures are stored at full precision; only display rounds."""
    if value is None or value == "":
        return ""
    return f"{float(value) * 100:.{int(digits)}f}%"
