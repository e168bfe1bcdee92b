"""Template tags of the review room: the open-case counts on the admin's home, outcome labels."""

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
