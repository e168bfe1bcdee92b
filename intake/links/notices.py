"""A link that locked itself after wrong dates of birth: the clinic admins are told.

Says which link, never whose. Its form is registered with the outbox in IntakeConfig.ready().
The check itself only records the lock (a LinkAttempt LOCKED_NOW); `link_locks_notify`, run by
beat every minute, tells the admins, so a real link's fifth wrong date costs the request no
more than an unknown link's (docs/security.md).
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from clinic.http import absolute_url
from clinic.notifications import outbox
from clinic.notifications.email import render_email
from clinic.notifications.kinds import KindHandlers, Message
from clinic.notifications.models import Notification, NotificationChannel, NotificationKind
from clinic.staff.selectors import clinic_admins
from intake.links.models import LinkAttempt, LinkAttemptOutcome


def notify_link_locked(*, link) -> list[int]:
    """Tell the clinic admins (in the app, and by email within a limit) that a patient link
    locked itself.

    Called by `link_locks_notify` for each lock `link_verify` recorded: someone may be
    guessing. Anyone who has a link can lock it, so the emails are limited: one per link a day,
    and LINK_LOCKED_EMAILS_PER_HOUR for the clinic; the in-app notice is always made.
    """
    now = timezone.now()
    sent = Notification.objects.filter(
        kind=NotificationKind.LINK_LOCKED, channel=NotificationChannel.EMAIL
    )
    email = (
        not sent.filter(previsit_link=link, created_at__gte=now - timedelta(days=1)).exists()
        and sent.filter(created_at__gte=now - timedelta(hours=1))
        .values("previsit_link")
        .distinct()
        .count()
        < settings.LINK_LOCKED_EMAILS_PER_HOUR
    )
    return outbox.staff_alert(
        kind=NotificationKind.LINK_LOCKED,
        key=f"link-locked:{link.pk}:{link.locked_until.isoformat()}",
        users=clinic_admins(),
        email=email,
        previsit_link=link,
    )


def link_locks_notify(*, limit: int = 200) -> int:
    """Tell the admins of every lock not yet told of, oldest first; each once (a done marker set
    with a conditional update, in the notice's transaction). Returns how many were told."""
    waiting = LinkAttempt.objects.filter(
        outcome=LinkAttemptOutcome.LOCKED_NOW, notified_at__isnull=True
    ).order_by("at")
    told = 0
    for attempt_id in list(waiting.values_list("pk", flat=True)[:limit]):
        with transaction.atomic():
            claimed = LinkAttempt.objects.filter(pk=attempt_id, notified_at__isnull=True).update(
                notified_at=timezone.now()
            )
            if claimed != 1:
                continue
            attempt = LinkAttempt.objects.select_related("link").get(pk=attempt_id)
            if attempt.link is not None:
                notify_link_locked(link=attempt.link)
                told += 1
    return told


def _admin_path(notification: Notification) -> str:
    return reverse("admin:intake_previsitlink_change", args=[notification.previsit_link_id])


def _headline(notification: Notification) -> str:
    return f"Pre-visit link {notification.previsit_link_id} locked: wrong dates of birth"


def _email(notification: Notification) -> Message:
    context = {
        "link_ref": notification.previsit_link_id,
        "lock_minutes": settings.PREVISIT_LOCK_MINUTES,
        "url": absolute_url(_admin_path(notification)),
    }
    return render_email("intake/email/link-locked", context)


def _link(notification: Notification, user) -> str | None:
    return _admin_path(notification) if user.has_perm("intake.view_previsitlink") else None


KINDS = {
    NotificationKind.LINK_LOCKED: KindHandlers(headline=_headline, email=_email, link=_link),
}
