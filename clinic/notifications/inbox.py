"""The bell: a staff member's in-app notifications, read and marked read."""

from django.utils import timezone

from clinic.notifications.models import Notification


def unread_count(*, user) -> int:
    return Notification.objects.in_app_for(user).unread().count()


def inbox(*, user, limit: int = 50) -> list[Notification]:
    return list(Notification.objects.in_app_for(user).order_by("-created_at", "-id")[:limit])


def notifications_mark_read(*, user, notification_ids) -> int:
    """Mark the user's own unread notifications among `notification_ids` read; others untouched."""
    return (
        Notification.objects.in_app_for(user)
        .unread()
        .filter(pk__in=list(notification_ids))
        .update(read_at=timezone.now())
    )
