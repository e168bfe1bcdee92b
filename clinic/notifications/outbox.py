"""Making notifications: rows written inside the caller's transaction, queued once it commits.

Every notification is a `Notification` row written in the transaction that causes it (a flag,
an escalation, a reminder), so it exists exactly when its cause does. Only after the commit is
a Celery message published, and only the row's id travels. The idempotency key makes a second
creation of the same message a no-op.

Minimum necessary: no health information leaves in an email, webhook or task argument.
"""

import logging
from functools import partial

from django.contrib.admin.models import CHANGE, LogEntry
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from clinic.celery import PUBLISH_ERRORS, task_named
from clinic.notifications.models import (
    Notification,
    NotificationChannel,
    NotificationKind,
    NotificationStatus,
    WebhookEndpoint,
)

logger = logging.getLogger("clinic.notifications")

# The delivery task, published by name: clinic/notifications/tasks.py registers it under this
# name and calls into delivery, which makes failure notices here; importing the task module
# from here would close that circle.
DELIVER_TASK = "clinic.notifications.tasks.notification_deliver"
# A publish to a broker that is down gives up after about half a second: the request that
# committed the rows must not wait on it, and the sweep sends what could not be queued.
PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2}


def _staff_rows(*, kind: str, key: str, users, email: bool = True, **about) -> list[Notification]:
    """An in-app notification and (unless `email` is false) an email for each user.

    The in-app row is delivered by the commit itself (the bell reads it), so it is created SENT:
    a stopped worker can't hide an alert from the dashboard.
    """
    now = timezone.now()
    rows = []
    for user in users:
        rows.append(
            Notification(
                kind=kind,
                channel=NotificationChannel.IN_APP,
                recipient=user,
                idempotency_key=f"{key}:in_app:{user.pk}",
                status=NotificationStatus.SENT,
                sent_at=now,
                **about,
            )
        )
        if not email:
            continue
        rows.append(
            Notification(
                kind=kind,
                channel=NotificationChannel.EMAIL,
                recipient=user,
                address=user.email,
                idempotency_key=f"{key}:email:{user.pk}",
                **about,
            )
        )
    return rows


def _webhook_rows(*, kind: str, key: str, **about) -> list[Notification]:
    return [
        Notification(
            kind=kind,
            channel=NotificationChannel.WEBHOOK,
            webhook=endpoint,
            idempotency_key=f"{key}:webhook:{endpoint.pk}",
            **about,
        )
        for endpoint in WebhookEndpoint.objects.filter(active=True).order_by("pk")
    ]


def _save(rows: list[Notification]) -> list[int]:
    """Insert the rows (a key already present is skipped) and queue the pending ones on commit."""
    if not rows:
        return []
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    pending = list(
        Notification.objects.filter(
            idempotency_key__in=[row.idempotency_key for row in rows],
            status=NotificationStatus.PENDING,
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if pending:
        transaction.on_commit(partial(notifications_enqueue, notification_ids=pending), robust=True)
    return pending


def staff_alert(
    *,
    kind: NotificationKind,
    key: str,
    users,
    webhooks: bool = False,
    email: bool = True,
    **about,
) -> list[int]:
    """Tell staff in the app, and by email unless `email` is false, and the active webhooks if
    asked. Returns the ids queued for delivery.

    Call inside the transaction that causes the alert. `key` names the event (the same event
    alerted twice is one alert); `about` holds the row's references (case, level, link...).
    """
    rows = _staff_rows(kind=kind, key=key, users=users, email=email, **about)
    if webhooks:
        rows += _webhook_rows(kind=kind, key=key, **about)
    return _save(rows)


def patient_message(
    *, kind: NotificationKind, key: str, channel: NotificationChannel, address: str, appointment
) -> list[int]:
    """One message to a patient's email address or phone, about one appointment."""
    row = Notification(
        kind=kind,
        channel=channel,
        appointment=appointment,
        address=address,
        idempotency_key=key,
    )
    return _save([row])


def notifications_enqueue(*, notification_ids: list[int]) -> int:
    """Publish one delivery task per id. Never raises for a broker that is down.

    Runs after the commit: the rows are already safe, so a broker outage only delays them until
    the sweep finds them. Returns how many were queued.
    """
    queued = 0
    for notification_id in notification_ids:
        try:
            task_named(DELIVER_TASK).apply_async(
                (notification_id,), retry=True, retry_policy=PUBLISH_RETRY_POLICY
            )
        except PUBLISH_ERRORS as exc:
            logger.warning(
                "broker unavailable (%s): %d notification(s) wait for the sweep",
                type(exc).__name__,
                len(notification_ids) - queued,
            )
            break
        queued += 1
    return queued


@transaction.atomic
def notification_retry(*, notification_ids, by) -> int:
    """Send failed notifications again with a fresh set of attempts; the admin log records who."""
    ids = list(
        Notification.objects.select_for_update()
        .filter(pk__in=list(notification_ids), status=NotificationStatus.FAILED)
        .values_list("pk", flat=True)
    )
    if not ids:
        return 0
    Notification.objects.filter(pk__in=ids).update(
        status=NotificationStatus.PENDING,
        attempts=0,
        retry_round=F("retry_round") + 1,
        next_attempt_at=timezone.now(),
        claimed_at=None,
        failed_at=None,
    )
    LogEntry.objects.log_actions(
        user_id=by.pk,
        queryset=Notification.objects.filter(pk__in=ids),
        action_flag=CHANGE,
        change_message="Retry requested: back to pending with a fresh set of attempts.",
    )
    transaction.on_commit(partial(notifications_enqueue, notification_ids=ids), robust=True)
    return len(ids)
