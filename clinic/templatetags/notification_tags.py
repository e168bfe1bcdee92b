from django import template
from django.conf import settings

from clinic.notifications.inbox import unread_count
from clinic.review.selectors import delivery_backlog
from clinic.staff.roles import Role, has_role

register = template.Library()


@register.inclusion_tag("clinic/partials/bell.html", takes_context=True)
def notification_bell(context):
    """The bell in the staff navigation, with the signed-in user's unread count."""
    request = context.get("request")
    user = getattr(request, "user", None)
    unread = unread_count(user=user) if user is not None and user.is_authenticated else 0
    return {"unread": unread, "poll_seconds": settings.NOTIFICATION_BELL_POLL_SECONDS}


@register.inclusion_tag("clinic/partials/delivery_banner.html", takes_context=True)
def delivery_banner(context):
    """A banner for every clinician and admin while a flagged case's alert has not gone out by
    email, SMS or webhook within its level's target: the in-app channel that does not depend on
    the mail relay."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"backlog": None}
    if not (has_role(user, Role.CLINICIAN) or has_role(user, Role.CLINIC_ADMIN)):
        return {"backlog": None}
    backlog = delivery_backlog()
    return {"backlog": None if backlog.healthy else backlog}
