from django import template
from django.conf import settings

from clinic.notifications.inbox import unread_count

register = template.Library()


@register.inclusion_tag("clinic/partials/bell.html", takes_context=True)
def notification_bell(context):
    """The bell in the staff navigation, with the signed-in user's unread count."""
    request = context.get("request")
    user = getattr(request, "user", None)
    unread = unread_count(user=user) if user is not None and user.is_authenticated else 0
    return {"unread": unread, "poll_seconds": settings.NOTIFICATION_BELL_POLL_SECONDS}
