"""Delivering one notification: claimed once, sent, and every try recorded.

A worker claims the row with a conditional update (PENDING to SENDING) and acts only if it won,
so a message delivered twice sends once. A failure that may pass is tried again later with
exponential backoff (capped at NOTIFICATION_RETRY_MAX_SECONDS) for
NOTIFICATION_RETRY_WINDOW_MINUTES from its first try; one that won't pass, or still failing when
the window closes, marks the row FAILED and tells the clinic admins
(clinic/notifications/failures.py). The first email that goes through after failures brings
every other email waiting on a retry forward, so a relay back from an outage is caught up at
once rather than at each row's own next try. The beat sweep (clinic/notifications/sweep.py)
re-queues rows whose message was lost and rows left SENDING by a worker that died.

The one unavoidable window: a worker killed after the mail server accepted a message but before
the row was marked sent. The sweep then sends it again, with the same Message-ID (and the same
X-Previsit-Delivery header for webhooks), so a receiver can recognise the repeat.
"""

import logging
import random
from dataclasses import dataclass
from datetime import timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import OperationalError, transaction
from django.db.models import F, TextChoices
from django.utils import timezone

from clinic.notifications import email, failures, sms, webhook
from clinic.notifications.errors import NotNeeded, PermanentDeliveryError, TransientDeliveryError
from clinic.notifications.kinds import kind_handlers
from clinic.notifications.models import (
    AttemptOutcome,
    DeliveryAttempt,
    Notification,
    NotificationChannel,
    NotificationStatus,
)
from clinic.notifications.outbox import notifications_enqueue

logger = logging.getLogger("clinic.notifications")

# A retry message may arrive a little before its row is due (clocks, rounding).
EARLY_TOLERANCE = timedelta(seconds=2)


def deliver_in_app(notification: Notification) -> None:
    """In-app rows are delivered by their commit; a pending one (an old row) just becomes sent."""


CHANNELS = {
    NotificationChannel.IN_APP: deliver_in_app,
    NotificationChannel.EMAIL: email.deliver_email,
    NotificationChannel.WEBHOOK: webhook.deliver_webhook,
    NotificationChannel.SMS: sms.deliver_sms,
}


class DeliveryOutcome(TextChoices):
    SENT = "sent", "Sent"
    RETRY = "retry", "Will be tried again"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Not needed any more"
    NOT_CLAIMED = "not_claimed", "Another worker has it, or it is done"
    NOT_DUE = "not_due", "Not due yet"


@dataclass(frozen=True)
class Delivery:
    outcome: DeliveryOutcome
    retry_in: float | None = None


def retry_delay(attempt: int, *, rng: random.Random | None = None) -> float:
    """Seconds before try `attempt + 1`: exponential, capped, with jitter ("equal jitter").

    Half the delay is fixed so a retry never comes at once; the other half is random so many
    notifications failing together (a mail server restart) don't all come back together.
    """
    rng = rng or random
    ceiling = min(
        settings.NOTIFICATION_RETRY_MAX_SECONDS,
        settings.NOTIFICATION_RETRY_BASE_SECONDS * 2 ** max(attempt - 1, 0),
    )
    return ceiling / 2 + rng.uniform(0, ceiling / 2)


def _send(notification: Notification) -> None:
    """Compose and send in one transaction: what the composer wrote (a reminder's new link)
    stays only if the send succeeded."""
    handlers = kind_handlers(notification.kind)
    with transaction.atomic():
        CHANNELS[notification.channel](notification, handlers)


def notification_deliver(*, notification_id: int) -> Delivery:
    """Claim one notification, deliver it, and record how it went.

    Not one transaction: the claim is committed before the slow part, so every other worker sees
    it, and the result is committed after. A crash in between leaves the row SENDING; the sweep
    hands it out again after NOTIFICATION_SENDING_TIMEOUT_SECONDS.
    """
    now = timezone.now()
    with transaction.atomic():
        claimed = Notification.objects.filter(
            pk=notification_id,
            status=NotificationStatus.PENDING,
            next_attempt_at__lte=now + EARLY_TOLERANCE,
        ).update(status=NotificationStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1)
        if claimed != 1:
            row = (
                Notification.objects.filter(pk=notification_id)
                .values("status", "next_attempt_at")
                .first()
            )
            if row is not None and row["status"] == NotificationStatus.PENDING:
                wait = (row["next_attempt_at"] - now).total_seconds()
                return Delivery(DeliveryOutcome.NOT_DUE, retry_in=max(wait, 1.0))
            return Delivery(DeliveryOutcome.NOT_CLAIMED)
        notification = Notification.objects.select_related("webhook").get(pk=notification_id)
        attempt = DeliveryAttempt.objects.create(
            notification=notification,
            retry_round=notification.retry_round,
            number=notification.attempts,
            started_at=now,
        )
    try:
        try:
            _send(notification)
        except (SoftTimeLimitExceeded, OperationalError) as exc:
            # Out of time, or the database went away mid-delivery: both may pass.
            raise TransientDeliveryError(f"{type(exc).__name__}: {exc}") from exc
    except NotNeeded as exc:
        _finish(notification, attempt, NotificationStatus.CANCELLED, AttemptOutcome.SKIPPED, exc)
        return Delivery(DeliveryOutcome.CANCELLED)
    except TransientDeliveryError as exc:
        if timezone.now() < _retry_deadline(notification):
            delay = retry_delay(notification.attempts)
            _finish(
                notification,
                attempt,
                NotificationStatus.PENDING,
                AttemptOutcome.TRANSIENT,
                exc,
                next_attempt_at=timezone.now() + timedelta(seconds=delay),
            )
            return Delivery(DeliveryOutcome.RETRY, retry_in=delay)
        _fail(notification, attempt, exc, AttemptOutcome.TRANSIENT)
        return Delivery(DeliveryOutcome.FAILED)
    except PermanentDeliveryError as exc:
        _fail(notification, attempt, exc, AttemptOutcome.PERMANENT)
        return Delivery(DeliveryOutcome.FAILED)
    except Exception as exc:
        # Our own bug: not retried (it would fail the same way), but never silent either.
        _fail(
            notification,
            attempt,
            f"{type(exc).__name__} (see the worker log)",
            AttemptOutcome.PERMANENT,
        )
        raise
    _finish(notification, attempt, NotificationStatus.SENT, AttemptOutcome.SENT, "")
    _bring_forward_after(notification)
    return Delivery(DeliveryOutcome.SENT)


def _retry_deadline(notification: Notification):
    """When this round of tries gives up: the window counts from its first try (an admin's
    retry starts a new round, and a new window)."""
    first = (
        DeliveryAttempt.objects.filter(
            notification=notification, retry_round=notification.retry_round
        )
        .order_by("started_at")
        .values_list("started_at", flat=True)
        .first()
    ) or notification.created_at
    return first + timedelta(minutes=settings.NOTIFICATION_RETRY_WINDOW_MINUTES)


def _bring_forward_after(sent: Notification) -> list[int]:
    """The way out went through: every row of the same way out still waiting on a retry (emails
    through the relay, SMS through the provider, webhooks to this endpoint) is due now."""
    if sent.channel == NotificationChannel.IN_APP:
        return []
    now = timezone.now()
    waiting = Notification.objects.filter(
        channel=sent.channel,
        status=NotificationStatus.PENDING,
        next_attempt_at__gt=now + EARLY_TOLERANCE,
        attempts__gt=0,
    ).exclude(pk=sent.pk)
    if sent.channel == NotificationChannel.WEBHOOK:
        waiting = waiting.filter(webhook_id=sent.webhook_id)
    ids = list(
        waiting.order_by("next_attempt_at").values_list("pk", flat=True)[
            : settings.NOTIFICATION_SWEEP_BATCH
        ]
    )
    if not ids:
        return []
    Notification.objects.filter(pk__in=ids, status=NotificationStatus.PENDING).update(
        next_attempt_at=now
    )
    transaction.on_commit(lambda: notifications_enqueue(notification_ids=ids))
    logger.info("delivery resumed: %d waiting notification(s) brought forward", len(ids))
    return ids


def _error_text(error) -> str:
    text = str(error) if not isinstance(error, str) else error
    return text.replace("\n", " ").strip()[:500]


def _finish(notification, attempt, status, outcome, error, **fields) -> None:
    now = timezone.now()
    error = _error_text(error)
    if status == NotificationStatus.SENT:
        fields["sent_at"] = now
    elif status == NotificationStatus.FAILED:
        fields["failed_at"] = now
    with transaction.atomic():
        updated = Notification.objects.filter(
            pk=notification.pk, status=NotificationStatus.SENDING
        ).update(status=status, last_error=error, **fields)
        DeliveryAttempt.objects.filter(pk=attempt.pk).update(
            finished_at=now, outcome=outcome, error=error
        )
        if updated != 1:
            logger.error("notification %s changed while it was being sent", notification.pk)
            return
        if status == NotificationStatus.FAILED:
            failures.notify_admins_of_failure(notification)


def _fail(notification, attempt, error, outcome) -> None:
    logger.warning(
        "notification %s failed for good after %d attempt(s): %s",
        notification.pk,
        notification.attempts,
        _error_text(error),
    )
    _finish(notification, attempt, NotificationStatus.FAILED, outcome, error)
