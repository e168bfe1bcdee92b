"""Template tags of the review room: the open-case counts on the admin's home, outcome labels,
how long a case has waited."""

from django import template

from clinic.review.models import Disposition
from clinic.review.selectors import open_case_counts

register = template.Library()


@register.inclusion_tag("clinic/partials/admin_queue_counts.html")
def queue_counts():
    return {"counts": open_case_counts()}


@register.filter
def disposition_label(code: str) -> str:
    try:
        return Disposition(code).label
    except ValueError:
        return code


@register.filter
def waited(since, now) -> str:
    """How long since `since`, as a clinician reads a wait at a glance: "under 1 min", "9 min",
    "2 h 5 min", "3 d 4 h"."""
    if since is None or now is None:
        return ""
    minutes = max(int((now - since).total_seconds() // 60), 0)
    if minutes < 1:
        return "under 1 min"
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"
