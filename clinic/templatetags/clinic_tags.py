from django import template

from clinic.selectors import open_case_counts

register = template.Library()


@register.inclusion_tag("clinic/partials/admin_queue_counts.html")
def queue_counts():
    return {"counts": open_case_counts()}


@register.filter
def disposition_label(code: str) -> str:
    from clinic.models import Disposition

    try:
        return Disposition(code).label
    except ValueError:
        return code
