"""Making notifications: a flag becomes rows in its own transaction, queued after the commit."""

import pytest
from django.db import transaction

from clinic.notifications.models import (
    Notification,
    NotificationStatus,
    WebhookEndpoint,
)
from clinic.notifications.outbox import notifications_enqueue
from clinic.review.models import Case
from clinic.review.services import case_flag
from tests.factories import AppointmentFactory
from tests.fakes import (
    celery_broker,
    free_port,
)
from tests.notifications_support import (
    HEALTH_WORDS,
    REASONS,
    email_of,
    flag,
    on_duty,
    queued_messages,
)

pytestmark = pytest.mark.django_db


# --- Making notifications with the flag -------------------------------------------------------


def test_a_flag_tells_the_clinicians_on_duty_and_the_webhooks_in_its_own_transaction(
    clinician, other_clinician, django_capture_on_commit_callbacks
):
    on_duty(clinician)
    WebhookEndpoint.objects.create(name="Team chat", url="https://chat.invalid/h", secret="s" * 20)
    WebhookEndpoint.objects.create(
        name="Old", url="https://old.invalid/h", secret="s" * 20, active=False
    )
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        case = flag()
    rows = Notification.objects.filter(case=case)
    assert {(n.channel, n.recipient_id, n.status) for n in rows} == {
        ("in_app", clinician.pk, "sent"),
        ("email", clinician.pk, "pending"),
        ("webhook", None, "pending"),
    }
    assert not rows.filter(recipient=other_clinician).exists()
    assert email_of(case, clinician).address == clinician.email
    assert len(callbacks) == 1  # the queueing waits for the commit


def test_with_nobody_on_duty_every_clinician_is_told(clinician, other_clinician):
    case = flag()
    told = set(case.notifications.filter(channel="email").values_list("recipient", flat=True))
    assert told == {clinician.pk, other_clinician.pk}


def test_a_rolled_back_flag_leaves_no_notification_and_queues_nothing(
    clinician, django_capture_on_commit_callbacks
):
    appointment = AppointmentFactory()
    with (
        django_capture_on_commit_callbacks(execute=False) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        case_flag(appointment=appointment, level="emergency", reasons=REASONS)
        raise RuntimeError("the submission failed after the flag")
    assert not Case.objects.exists()
    assert not Notification.objects.exists()
    assert callbacks == []


def test_a_repeated_flag_is_not_announced_again_but_a_raised_level_is(clinician):
    case = flag("urgent")
    case_flag(appointment=case.appointment, level="urgent", reasons=REASONS)
    assert case.notifications.filter(channel="email").count() == 1
    case_flag(appointment=case.appointment, level="emergency", reasons=REASONS)
    levels = sorted(case.notifications.filter(channel="email").values_list("level", flat=True))
    assert levels == ["emergency", "urgent"]


def test_the_delivery_task_is_queued_after_the_commit_with_only_an_id(
    clinician, broker, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        case = flag()
    notification = email_of(case, clinician)
    messages = queued_messages(broker)
    assert [m["body"][0] for m in messages] == [[notification.pk]]
    assert messages[0]["headers"]["task"] == "clinic.notifications.tasks.notification_deliver"
    for word in HEALTH_WORDS:
        assert word not in messages[0]["raw"]


def test_a_broker_that_is_down_never_fails_the_flag(clinician, django_capture_on_commit_callbacks):
    with celery_broker(f"redis://127.0.0.1:{free_port()}/0"):
        with django_capture_on_commit_callbacks(execute=True):
            case = flag()
        assert notifications_enqueue(notification_ids=[1, 2]) == 0
    assert email_of(case, clinician).status == NotificationStatus.PENDING  # the sweep's job now
