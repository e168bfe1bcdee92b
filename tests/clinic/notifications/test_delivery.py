"""Delivering one notification: once, retried when the error may pass, failed visibly when not."""

import random
from datetime import timedelta

import pytest
from django.utils import timezone

from clinic.notifications.delivery import notification_deliver, retry_delay
from clinic.notifications.models import (
    AttemptOutcome,
    Notification,
    NotificationKind,
    NotificationStatus,
)
from clinic.review.services import cases_escalate
from tests.fakes import (
    free_port,
)
from tests.notifications_support import (
    HEALTH_WORDS,
    email_of,
    flag,
)

pytestmark = pytest.mark.django_db


# --- Delivering -------------------------------------------------------------------------------


def test_an_email_goes_through_smtp_once_and_a_second_run_sends_nothing(clinician, smtp):
    case = flag()
    notification = email_of(case, clinician)
    assert notification_deliver(notification_id=notification.pk).outcome == "sent"
    assert notification_deliver(notification_id=notification.pk).outcome == "not_claimed"
    assert len(smtp.received) == 1
    sent = smtp.received[0]
    assert sent.rcpt_tos == [clinician.email]
    assert sent.message_id == f"<previsit-notification-{notification.pk}@127.0.0.1>"
    assert sent.subject == f"[Previsit Demo Clinic] Emergency case {case.pk} needs review"
    assert f"http://127.0.0.1:8000/dashboard/cases/{case.pk}/" in sent.everything()
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == ("sent", 1)
    assert notification.sent_at is not None
    [attempt] = notification.delivery_attempts.all()
    assert attempt.outcome == AttemptOutcome.SENT and attempt.finished_at


def test_no_health_information_in_any_email(clinician, smtp, admin_user, settings):
    case = flag()
    notification_deliver(notification_id=email_of(case, clinician).pk)
    cases_escalate(now=timezone.now() + timedelta(minutes=20))
    notification_deliver(notification_id=email_of(case, admin_user).pk)
    assert len(smtp.received) == 2
    for message in smtp.received:
        text = message.everything()
        for word in HEALTH_WORDS:
            assert word not in text, (word, message.subject)
        assert "Emergency case" in text and str(case.pk) in text


def test_a_451_is_retried_later_with_backoff_and_the_error_is_kept(clinician, smtp, settings):
    settings.NOTIFICATION_RETRY_BASE_SECONDS = 30
    smtp.refuse(1)
    notification = email_of(flag(), clinician)
    delivery = notification_deliver(notification_id=notification.pk)
    assert delivery.outcome == "retry" and 15 <= delivery.retry_in <= 30
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.PENDING
    assert notification.next_attempt_at > timezone.now() + timedelta(seconds=14)
    assert "451" in notification.last_error
    # A message arriving before the row is due sends nothing and says when to come back.
    early = notification_deliver(notification_id=notification.pk)
    assert early.outcome == "not_due" and early.retry_in > 10
    Notification.objects.filter(pk=notification.pk).update(next_attempt_at=timezone.now())
    assert notification_deliver(notification_id=notification.pk).outcome == "sent"
    outcomes = list(notification.delivery_attempts.values_list("number", "outcome"))
    assert outcomes == [(1, "transient"), (2, "sent")]
    assert len(smtp.received) == 1


def test_when_the_retry_window_closes_it_fails_and_the_clinic_admins_are_told(
    clinician, admin_user, smtp, settings
):
    settings.NOTIFICATION_RETRY_WINDOW_MINUTES = 60
    smtp.refuse(2)
    notification = email_of(flag(), clinician)
    assert notification_deliver(notification_id=notification.pk).outcome == "retry"
    # 59 minutes of outage later: still inside the window, so tried again.
    notification.delivery_attempts.update(started_at=timezone.now() - timedelta(minutes=59))
    Notification.objects.filter(pk=notification.pk).update(next_attempt_at=timezone.now())
    assert notification_deliver(notification_id=notification.pk).outcome == "retry"
    # An hour and more after the first try: it gives up, visibly.
    notification.delivery_attempts.update(started_at=timezone.now() - timedelta(minutes=61))
    Notification.objects.filter(pk=notification.pk).update(next_attempt_at=timezone.now())
    smtp.refuse(1)
    assert notification_deliver(notification_id=notification.pk).outcome == "failed"
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.FAILED and notification.failed_at
    assert notification.attempts == 3
    notices = Notification.objects.filter(kind=NotificationKind.DELIVERY_FAILED)
    assert {(n.channel, n.recipient_id) for n in notices} == {
        ("in_app", admin_user.pk),
        ("email", admin_user.pk),
    }
    notice = notices.get(channel="email")
    assert notification_deliver(notification_id=notice.pk).outcome == "sent"
    text = smtp.received[-1].everything()
    assert f"notification {notification.pk}" in text
    assert f"/admin/clinic/notification/{notification.pk}/change/" in text


def test_a_failure_notice_that_fails_is_not_announced_again(clinician, admin_user, settings):
    settings.NOTIFICATION_RETRY_WINDOW_MINUTES = 0  # gives up at the first failure
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nothing listens
    notification = email_of(flag(), clinician)
    notification_deliver(notification_id=notification.pk)
    notice = Notification.objects.get(kind="delivery_failed", channel="email")
    assert notification_deliver(notification_id=notice.pk).outcome == "failed"
    assert Notification.objects.filter(kind="delivery_failed").count() == 2  # in-app + email


def test_a_550_fails_at_once_and_is_not_retried(clinician, smtp):
    smtp.refuse(1, reply="550 5.1.1 No such mailbox")
    notification = email_of(flag(), clinician)
    assert notification_deliver(notification_id=notification.pk).outcome == "failed"
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == ("failed", 1)
    assert notification.last_error == "SMTP 550: 5.1.1 No such mailbox"
    assert notification.delivery_attempts.get().outcome == AttemptOutcome.PERMANENT


def test_a_recipient_without_an_address_fails_visibly(clinician, smtp):
    notification = email_of(flag(), clinician)
    User = type(clinician)
    User.objects.filter(pk=clinician.pk).update(email="")
    Notification.objects.filter(pk=notification.pk).update(address="")
    assert notification_deliver(notification_id=notification.pk).outcome == "failed"
    notification.refresh_from_db()
    assert notification.last_error == "the recipient has no email address"
    assert notification.attempts == 1
    assert smtp.data_commands == 0


def test_a_refused_connection_is_worth_retrying(clinician, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
    notification = email_of(flag(), clinician)
    assert notification_deliver(notification_id=notification.pk).outcome == "retry"
    notification.refresh_from_db()
    assert "ConnectionRefusedError" in notification.last_error


def test_retry_delays_double_with_jitter_and_stay_under_the_cap(settings):
    settings.NOTIFICATION_RETRY_BASE_SECONDS = 30
    settings.NOTIFICATION_RETRY_MAX_SECONDS = 3600
    rng = random.Random(7)
    for attempt, ceiling in [(1, 30), (2, 60), (3, 120), (8, 3600), (30, 3600)]:
        delays = [retry_delay(attempt, rng=rng) for _ in range(200)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert max(delays) - min(delays) > ceiling / 4  # jittered, not all the same


def test_the_retry_cap_is_under_the_redis_visibility_timeout(settings):
    from clinic.celery import app

    visibility = app.conf.broker_transport_options["visibility_timeout"]
    assert visibility > settings.NOTIFICATION_RETRY_MAX_SECONDS
    assert app.conf.task_time_limit < settings.NOTIFICATION_SENDING_TIMEOUT_SECONDS


def test_notification_tasks_have_their_own_queue_and_beat_runs_the_periodic_jobs():
    from clinic.celery import app

    router = app.amqp.router
    for task in (
        "clinic.notifications.tasks.notification_deliver",
        "clinic.notifications.tasks.notifications_sweep",
        "clinic.review.tasks.cases_escalate",
        "intake.links.tasks.appointment_reminders",
    ):
        assert router.route({}, task)["queue"].name == "notifications"
    assert router.route({}, "intake.responses.tasks.handout_render_pdf")["queue"].name == "pdf"
    scheduled = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert {
        "clinic.notifications.tasks.notifications_sweep",
        "clinic.review.tasks.cases_escalate",
        "intake.links.tasks.appointment_reminders",
    } <= scheduled
    assert app.conf.task_acks_late and app.conf.task_reject_on_worker_lost
    assert app.conf.worker_prefetch_multiplier == 1


def test_many_more_tries_than_before_fit_in_the_window_and_none_is_lost(clinician, smtp, settings):
    """The old limit was 5 tries (a few minutes at the default backoff). Now a failure that may
    pass is tried until the window closes: 12 refusals in a row, then the relay is back."""
    settings.NOTIFICATION_RETRY_WINDOW_MINUTES = 24 * 60
    smtp.refuse(12)
    notification = email_of(flag(), clinician)
    outcomes = []
    for _ in range(13):
        outcomes.append(notification_deliver(notification_id=notification.pk).outcome)
        Notification.objects.filter(pk=notification.pk).update(next_attempt_at=timezone.now())
    assert outcomes == ["retry"] * 12 + ["sent"]
    assert len(smtp.received) == 1


def test_the_first_email_through_brings_every_waiting_one_forward(
    clinician, smtp, settings, django_capture_on_commit_callbacks
):
    settings.NOTIFICATION_RETRY_BASE_SECONDS = 300
    smtp.refuse(3)
    waiting = [email_of(flag(), clinician) for _ in range(3)]
    for row in waiting:
        assert notification_deliver(notification_id=row.pk).outcome == "retry"
    later = Notification.objects.filter(pk__in=[r.pk for r in waiting])
    assert all(r.next_attempt_at > timezone.now() + timedelta(minutes=2) for r in later)
    # The relay is back: a new alert goes straight through, and takes the others with it.
    fresh = email_of(flag(), clinician)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert notification_deliver(notification_id=fresh.pk).outcome == "sent"
    assert callbacks, "the waiting rows were not queued again"
    for row in later.all():
        assert row.next_attempt_at <= timezone.now()
        assert notification_deliver(notification_id=row.pk).outcome == "sent"
    assert len(smtp.received) == 4
