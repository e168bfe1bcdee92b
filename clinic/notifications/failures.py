"""When a notification fails for good, the clinic admins are told: the outbox watches itself."""

import logging

from django.urls import reverse

from clinic.http import absolute_url
from clinic.notifications import outbox
from clinic.notifications.email import render_email
from clinic.notifications.kinds import KindHandlers, Message
from clinic.notifications.models import Notification, NotificationKind
from clinic.staff.selectors import clinic_admins

logger = logging.getLogger("clinic.notifications")


def notify_admins_of_failure(notification: Notification) -> None:
    if notification.kind == NotificationKind.DELIVERY_FAILED:
        # A failure notice that fails is logged, not announced again: no loop.
        logger.error("failure notice %s could not be delivered", notification.pk)
        return
    outbox.staff_alert(
        kind=NotificationKind.DELIVERY_FAILED,
        key=f"delivery-failed:{notification.pk}:{notification.retry_round}",
        users=clinic_admins(),
        about=notification,
    )


def _admin_path(notification: Notification) -> str:
    return reverse("admin:clinic_notification_change", args=[notification.about_id])


def _headline(notification: Notification) -> str:
    return f"Notification {notification.about_id} could not be delivered"


def _email(notification: Notification) -> Message:
    about = notification.about
    context = {
        "about_ref": notification.about_id,
        "about_what": f"{about.get_kind_display()}, {about.get_channel_display()}",
        "url": absolute_url(_admin_path(notification)),
    }
    return render_email("clinic/email/delivery-failed", context)


def _link(notification: Notification, user) -> str | None:
    return _admin_path(notification) if user.has_perm("clinic.view_notification") else None


KINDS = {
    NotificationKind.DELIVERY_FAILED: KindHandlers(headline=_headline, email=_email, link=_link),
}
