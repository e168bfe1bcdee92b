"""The beat sweep: what a lost message or a dead worker left behind is handed out again."""

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from clinic.notifications import failures
from clinic.notifications.models import (
    AttemptOutcome,
    DeliveryAttempt,
    Notification,
    NotificationStatus,
)
from clinic.notifications.outbox import notifications_enqueue

logger = logging.getLogger("clinic.notifications")


@dataclass(frozen=True)
class Sweep:
    interrupted: int
    failed: int
    queued: int


def notifications_sweep(*, now=None) -> Sweep:
    """Re-queue what a lost message or a dead worker left behind. Run every minute by beat.

    - SENDING for longer than NOTIFICATION_SENDING_TIMEOUT_SECONDS: its worker died mid-delivery.
      The attempt is recorded as interrupted and the row goes back to PENDING (or FAILED once it
      has used all its attempts, so a message that kills workers can't loop for ever).
    - PENDING and due for longer than NOTIFICATION_PENDING_GRACE_SECONDS: its message was never
      published (the broker was down at commit) or was lost. Queued again; the claim makes a
      duplicate message harmless. Its due time is moved to now, so each sweep queues it once.
    """
    now = now or timezone.now()
    batch = settings.NOTIFICATION_SWEEP_BATCH
    stuck_before = now - timedelta(seconds=settings.NOTIFICATION_SENDING_TIMEOUT_SECONDS)
    released, failed = [], 0
    stuck = Notification.objects.filter(
        status=NotificationStatus.SENDING, claimed_at__lt=stuck_before
    ).values_list("pk", flat=True)
    for notification_id in list(stuck[:batch]):
        outcome = _release_stuck(
            notification_id=notification_id, stuck_before=stuck_before, now=now
        )
        if outcome == NotificationStatus.PENDING:
            released.append(notification_id)
        failed += outcome == NotificationStatus.FAILED
    overdue_before = now - timedelta(seconds=settings.NOTIFICATION_PENDING_GRACE_SECONDS)
    with transaction.atomic():
        overdue = list(
            Notification.objects.select_for_update(skip_locked=True)
            .filter(status=NotificationStatus.PENDING, next_attempt_at__lte=overdue_before)
            .order_by("next_attempt_at", "pk")
            .values_list("pk", flat=True)[:batch]
        )
        Notification.objects.filter(pk__in=overdue).update(next_attempt_at=now)
    queued = notifications_enqueue(notification_ids=released + overdue)
    if released or failed or queued:
        logger.warning(
            "sweep: %d interrupted delivery(ies) released, %d failed, %d notification(s) queued",
            len(released),
            failed,
            queued,
        )
    return Sweep(interrupted=len(released), failed=failed, queued=queued)


@transaction.atomic
def _release_stuck(*, notification_id: int, stuck_before, now) -> str | None:
    notification = (
        Notification.objects.select_for_update()
        .filter(pk=notification_id, status=NotificationStatus.SENDING, claimed_at__lt=stuck_before)
        .first()
    )
    if notification is None:
        return None
    error = "interrupted: the worker stopped before the delivery finished"
    DeliveryAttempt.objects.filter(
        notification=notification, outcome=AttemptOutcome.IN_PROGRESS
    ).update(outcome=AttemptOutcome.INTERRUPTED, finished_at=now, error=error)
    interrupted = DeliveryAttempt.objects.filter(
        notification=notification,
        retry_round=notification.retry_round,
        outcome=AttemptOutcome.INTERRUPTED,
    ).count()
    if interrupted >= settings.NOTIFICATION_MAX_ATTEMPTS:
        notification.status = NotificationStatus.FAILED
        notification.failed_at = now
        notification.last_error = error
        notification.save(update_fields=["status", "failed_at", "last_error"])
        failures.notify_admins_of_failure(notification)
        return NotificationStatus.FAILED
    notification.status = NotificationStatus.PENDING
    notification.next_attempt_at = now
    notification.claimed_at = None
    notification.last_error = error
    notification.save(update_fields=["status", "next_attempt_at", "claimed_at", "last_error"])
    return NotificationStatus.PENDING
