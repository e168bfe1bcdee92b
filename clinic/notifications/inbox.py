"""The bell: a staff member's in-app notifications, read and marked read."""

from django.utils import timezone

from clinic.notifications.models import Notification, NotificationChannel


def unread_count(*, user) -> int:
    return Notification.objects.in_app_for(user).unread().count()


def inbox(*, user, limit: int = 50) -> list[Notification]:
    """The latest, with the case's patient and state: in the app a notification names them
    (emails and webhooks never do)."""
    return list(
        Notification.objects.in_app_for(user)
        .select_related("case__appointment__patient", "case__assigned_to")
        .order_by("-created_at", "-id")[:limit]
    )


def notifications_mark_read(*, user, notification_ids) -> int:
    """Mark the user's own unread notifications among `notification_ids` read; others untouched."""
    return (
        Notification.objects.in_app_for(user)
        .unread()
        .filter(pk__in=list(notification_ids))
        .update(read_at=timezone.now())
    )


def notifications_clear_for_case(*, case_id: int) -> int:
    """A case someone acknowledged or resolved needs nobody's attention from the bell any more:
    its unread in-app notifications, everyone's, are marked read. Called by the review room's
    services in the transaction of the action."""
    return Notification.objects.filter(
        case_id=case_id, channel=NotificationChannel.IN_APP, read_at__isnull=True
    ).update(read_at=timezone.now())
