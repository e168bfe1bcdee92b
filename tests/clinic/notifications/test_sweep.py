"""The sweep: lost messages and dead workers' rows are handed out again."""

from datetime import timedelta

import pytest
from django.utils import timezone

from clinic.notifications.models import (
    AttemptOutcome,
    DeliveryAttempt,
    Notification,
)
from clinic.notifications.sweep import notifications_sweep
from tests.notifications_support import (
    email_of,
    flag,
    queued_ids,
)

pytestmark = pytest.mark.django_db


# --- The sweep --------------------------------------------------------------------------------


def test_the_sweep_requeues_a_delivery_whose_worker_died(clinician, broker, settings):
    notification = email_of(flag(), clinician)
    claimed_at = timezone.now() - timedelta(seconds=settings.NOTIFICATION_SENDING_TIMEOUT_SECONDS)
    Notification.objects.filter(pk=notification.pk).update(
        status="sending", claimed_at=claimed_at - timedelta(seconds=1), attempts=1
    )
    DeliveryAttempt.objects.create(notification=notification, number=1)
    fresh = email_of(flag(), clinician)
    Notification.objects.filter(pk=fresh.pk).update(status="sending", claimed_at=timezone.now())
    result = notifications_sweep()
    assert (result.interrupted, result.queued) == (1, 1)
    notification.refresh_from_db()
    assert notification.status == "pending"
    assert notification.delivery_attempts.get().outcome == AttemptOutcome.INTERRUPTED
    assert Notification.objects.get(pk=fresh.pk).status == "sending"
    assert queued_ids(broker) == [notification.pk]


def test_the_sweep_queues_rows_whose_message_was_lost_once_per_grace_period(
    clinician, broker, settings
):
    old = email_of(flag(), clinician)
    grace = timedelta(seconds=settings.NOTIFICATION_PENDING_GRACE_SECONDS + 1)
    Notification.objects.filter(pk=old.pk).update(next_attempt_at=timezone.now() - grace)
    email_of(flag(), clinician)  # just made: its own message is on its way
    assert notifications_sweep().queued == 1
    assert notifications_sweep().queued == 0
    assert queued_ids(broker) == [old.pk]


def test_a_delivery_that_keeps_killing_workers_fails_instead_of_looping(
    clinician, admin_user, settings
):
    settings.NOTIFICATION_MAX_ATTEMPTS = 3
    notification = email_of(flag(), clinician)
    Notification.objects.filter(pk=notification.pk).update(
        status="sending", claimed_at=timezone.now() - timedelta(hours=1), attempts=3
    )
    # Two deliveries already died with their worker; the third is dying now.
    for number, outcome in ((1, "interrupted"), (2, "interrupted"), (3, "in_progress")):
        DeliveryAttempt.objects.create(notification=notification, number=number, outcome=outcome)
    assert notifications_sweep().failed == 1
    assert Notification.objects.get(pk=notification.pk).status == "failed"
    assert Notification.objects.filter(kind="delivery_failed", recipient=admin_user).exists()
