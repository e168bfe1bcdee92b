"""Notifications at the service level: who is told, what they are told, and that nothing is lost
or doubled. Email goes to a real SMTP server on this machine, webhooks to a real HTTP server,
task messages to a private Redis. The fault tests with real workers are in
test_notification_faults.py."""

import base64
import hashlib
import hmac
import io
import json
import random
import re
from datetime import timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from clinic.models import (
    AppointmentStatus,
    AttemptOutcome,
    Case,
    CaseAction,
    CaseStatus,
    DeliveryAttempt,
    Notification,
    NotificationChannel,
    NotificationKind,
    NotificationStatus,
    StaffProfile,
    WebhookEndpoint,
)
from clinic.notifications import (
    ConsoleSmsBackend,
    appointment_reminders_send,
    notification_deliver,
    notification_retry,
    notifications_enqueue,
    notifications_sweep,
    retry_delay,
    webhook_signature,
)
from clinic.roles import Role
from clinic.services import case_acknowledge, case_flag, cases_escalate
from intake.models import PrevisitLink, Response, ResponseStatus
from intake.services import link_issue, questionnaire_default, token_hash
from tests.clinic.notification_support import (
    RedisServer,
    SmtpRecorder,
    WebhookReceiver,
    celery_broker,
    free_port,
)
from tests.factories import AppointmentFactory, PatientFactory, UserFactory

pytestmark = pytest.mark.django_db

PATIENT_FIRST, PATIENT_LAST = "Zebediah", "Quackenbush"
REASONS = [
    {
        "rule_id": "chest-pain",
        "level": "emergency",
        "text": "Crushing chest pain with sweating",
        "evidence": {"urgent-now": ["chest-pain"]},
    }
]
HEALTH_WORDS = (PATIENT_FIRST, PATIENT_LAST, "chest", "sweating", "Sore knee", "1984")


# --- Fixtures ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def redis_server():
    server = RedisServer().start()
    yield server
    server.stop()


@pytest.fixture
def broker(redis_server):
    """This process publishes to a private Redis, emptied before and after each test."""
    redis_server.client().flushall()
    with celery_broker(redis_server.url):
        yield redis_server
    redis_server.client().flushall()


@pytest.fixture
def smtp(settings):
    recorder = SmtpRecorder().start()
    for key, value in recorder.email_settings().items():
        setattr(settings, key, value)
    yield recorder
    recorder.stop()


@pytest.fixture
def hooks():
    receiver = WebhookReceiver().start()
    yield receiver
    receiver.stop()


def on_duty(*users):
    for user in users:
        StaffProfile.objects.update_or_create(user=user, defaults={"on_duty": True})


def flag(level="emergency", **appointment):
    patient = PatientFactory(first_name=PATIENT_FIRST, last_name=PATIENT_LAST)
    booked = AppointmentFactory(patient=patient, reason="Sore knee", **appointment)
    return case_flag(appointment=booked, level=level, reasons=REASONS)


def email_of(case, user):
    return Notification.objects.get(case=case, recipient=user, channel=NotificationChannel.EMAIL)


def queued_messages(redis_server) -> list[dict]:
    """The task messages waiting in Redis, decoded: headers and [args, kwargs, embed]."""
    client = redis_server.client()
    messages = []
    for key in client.scan_iter(match="notifications*"):
        for raw in client.lrange(key, 0, -1):
            message = json.loads(raw)
            body = json.loads(base64.b64decode(message["body"]))
            messages.append({"raw": raw.decode(), "headers": message["headers"], "body": body})
    return messages


def queued_ids(redis_server) -> list[int]:
    return sorted(m["body"][0][0] for m in queued_messages(redis_server))


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
    assert messages[0]["headers"]["task"] == "clinic.tasks.notification_deliver"
    for word in HEALTH_WORDS:
        assert word not in messages[0]["raw"]


def test_a_broker_that_is_down_never_fails_the_flag(clinician, django_capture_on_commit_callbacks):
    with celery_broker(f"redis://127.0.0.1:{free_port()}/0"):
        with django_capture_on_commit_callbacks(execute=True):
            case = flag()
        assert notifications_enqueue(notification_ids=[1, 2]) == 0
    assert email_of(case, clinician).status == NotificationStatus.PENDING  # the sweep's job now


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


def test_after_the_last_attempt_it_fails_and_the_clinic_admins_are_told(
    clinician, admin_user, smtp, settings
):
    settings.NOTIFICATION_MAX_ATTEMPTS = 2
    smtp.refuse(2)
    notification = email_of(flag(), clinician)
    notification_deliver(notification_id=notification.pk)
    Notification.objects.filter(pk=notification.pk).update(next_attempt_at=timezone.now())
    assert notification_deliver(notification_id=notification.pk).outcome == "failed"
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.FAILED and notification.failed_at
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
    settings.NOTIFICATION_MAX_ATTEMPTS = 1
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
        "clinic.tasks.notification_deliver",
        "clinic.tasks.notifications_sweep",
        "clinic.tasks.cases_escalate",
        "clinic.tasks.appointment_reminders",
    ):
        assert router.route({}, task)["queue"].name == "notifications"
    assert router.route({}, "intake.tasks.handout_render_pdf")["queue"].name == "pdf"
    scheduled = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert {
        "clinic.tasks.notifications_sweep",
        "clinic.tasks.cases_escalate",
        "clinic.tasks.appointment_reminders",
    } <= scheduled
    assert app.conf.task_acks_late and app.conf.task_reject_on_worker_lost
    assert app.conf.worker_prefetch_multiplier == 1


# --- Webhooks ---------------------------------------------------------------------------------


def test_a_webhook_is_signed_and_carries_only_the_level_a_reference_and_a_link(clinician, hooks):
    endpoint = WebhookEndpoint.objects.create(name="Chat", url=hooks.url, secret="k" * 32)
    case = flag()
    notification = Notification.objects.get(case=case, channel="webhook")
    assert notification_deliver(notification_id=notification.pk).outcome == "sent"
    [hook] = hooks.hooks
    assert hook.path == "/hooks/previsit"
    expected = "sha256=" + hmac.new(b"k" * 32, hook.body, hashlib.sha256).hexdigest()
    assert hook.headers["X-Previsit-Signature"] == expected
    assert webhook_signature(endpoint.secret, hook.body) == expected
    assert hook.headers["X-Previsit-Delivery"] == notification.idempotency_key
    payload = json.loads(hook.body)
    assert set(payload) == {"event", "level", "case", "url", "clinic", "delivery", "created_at"}
    assert payload["event"] == "case.flagged" and payload["level"] == "emergency"
    assert payload["case"] == case.pk
    assert payload["url"] == f"http://127.0.0.1:8000/dashboard/cases/{case.pk}/"
    for word in HEALTH_WORDS:
        assert word not in hook.body.decode()


def test_a_webhook_5xx_is_retried_and_a_4xx_fails(clinician, hooks):
    WebhookEndpoint.objects.create(name="Chat", url=hooks.url, secret="k" * 32)
    hooks.statuses = [503, 404]
    first = Notification.objects.get(case=flag(), channel="webhook")
    assert notification_deliver(notification_id=first.pk).outcome == "retry"
    second = Notification.objects.get(case=flag(), channel="webhook")
    assert notification_deliver(notification_id=second.pk).outcome == "failed"
    second.refresh_from_db()
    assert second.last_error == "HTTP 404 from the webhook"


def test_a_webhook_switched_off_before_delivery_is_not_sent(clinician, hooks):
    endpoint = WebhookEndpoint.objects.create(name="Chat", url=hooks.url, secret="k" * 32)
    notification = Notification.objects.get(case=flag(), channel="webhook")
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(active=False)
    assert notification_deliver(notification_id=notification.pk).outcome == "cancelled"
    assert hooks.hooks == []


# --- Escalation -------------------------------------------------------------------------------


@pytest.fixture
def escalation_list(db):
    first = UserFactory(username="first-call", role=Role.CLINICIAN.value)
    second = UserFactory(username="second-call", role=Role.CLINICIAN.value)
    third = UserFactory(username="third-call", role=Role.CLINICIAN.value)
    for rank, user in enumerate((first, second, third), start=1):
        StaffProfile.objects.create(user=user, escalation_rank=rank)
    return first, second, third


def test_an_emergency_unacknowledged_for_15_minutes_is_escalated_once(
    clinician, admin_user, escalation_list
):
    on_duty(clinician)
    case = flag()
    first, second, third = escalation_list
    assert cases_escalate(now=timezone.now() + timedelta(minutes=14)) == []
    later = timezone.now() + timedelta(minutes=16)
    assert cases_escalate(now=later) == [case.pk]
    assert cases_escalate(now=later + timedelta(minutes=30)) == []
    case.refresh_from_db()
    assert case.escalated_at == later
    event = case.events.get(action=CaseAction.ESCALATED)
    assert event.detail["notified"] == ["first-call", "second-call", "boss"]
    told = case.notifications.filter(kind="case_escalated", channel="email")
    assert set(told.values_list("recipient", flat=True)) == {first.pk, second.pk, admin_user.pk}
    assert not told.filter(recipient=third).exists()


def test_the_escalation_skips_people_already_told(clinician, escalation_list):
    first, second, third = escalation_list
    on_duty(first)
    case = flag()
    cases_escalate(now=timezone.now() + timedelta(minutes=16))
    told = case.notifications.filter(kind="case_escalated", channel="email")
    assert set(told.values_list("recipient", flat=True)) == {second.pk, third.pk}


def test_acknowledged_cases_and_urgent_cases_inside_two_hours_are_not_escalated(clinician):
    acknowledged = flag()
    case_acknowledge(case_id=acknowledged.pk, expected_version=1, clinician=clinician)
    urgent = flag("urgent")
    assert cases_escalate(now=timezone.now() + timedelta(minutes=119)) == []
    assert cases_escalate(now=timezone.now() + timedelta(minutes=121)) == [urgent.pk]


def test_the_case_page_shows_the_escalation_and_who_was_told(client, clinician, admin_user):
    case = flag()
    cases_escalate(now=timezone.now() + timedelta(minutes=16))
    client.force_login(clinician)
    page = client.get(f"/dashboard/cases/{case.pk}/").content.decode()
    assert "Escalated" in page
    assert "Told: boss" in page
    assert "Who was told" in page and "Case escalated · Email · " in page
    queue = client.get("/dashboard/").content.decode()
    assert '<span class="badge text-bg-danger">Escalated</span>' in queue


def test_escalation_does_not_make_a_clinicians_open_form_stale(clinician):
    case = flag()
    cases_escalate(now=timezone.now() + timedelta(minutes=16))
    acknowledged = case_acknowledge(case_id=case.pk, expected_version=1, clinician=clinician)
    assert acknowledged.status == CaseStatus.ACKNOWLEDGED


# --- Patient reminders ------------------------------------------------------------------------


def reminder_appointment(hours, **patient):
    patient = PatientFactory(first_name=PATIENT_FIRST, last_name=PATIENT_LAST, **patient)
    return AppointmentFactory(
        patient=patient, starts_at=timezone.now() + timedelta(hours=hours), reason="Sore knee"
    )


def test_the_48_hour_reminder_is_queued_once_with_a_marker(django_capture_on_commit_callbacks):
    appointment = reminder_appointment(47)
    far = reminder_appointment(60)
    assert appointment_reminders_send() == 1
    assert appointment_reminders_send() == 0
    appointment.refresh_from_db()
    assert appointment.reminder_48h_sent_at is not None
    assert appointment.reminder_2h_sent_at is None
    far.refresh_from_db()
    assert far.reminder_48h_sent_at is None
    [row] = Notification.objects.filter(appointment=appointment)
    assert (row.kind, row.channel, row.address) == ("reminder_48h", "email", row.address)


def test_a_missed_run_catches_up_and_a_late_booking_gets_only_the_2_hour_reminder():
    missed = reminder_appointment(30)  # the 48-hour mark passed while beat was down
    late = reminder_appointment(1.5)
    assert appointment_reminders_send() == 2
    kinds = dict(Notification.objects.values_list("appointment_id", "kind"))
    assert kinds == {missed.pk: "reminder_48h", late.pk: "reminder_2h"}
    late.refresh_from_db()
    assert late.reminder_48h_sent_at is None and late.reminder_2h_sent_at is not None
    # Later the first one enters its 2-hour window: one more reminder, once.
    assert appointment_reminders_send(now=timezone.now() + timedelta(hours=29)) == 1
    assert appointment_reminders_send(now=timezone.now() + timedelta(hours=29)) == 0


def test_no_reminder_after_submission_for_a_cancelled_visit_or_without_an_address():
    submitted = reminder_appointment(40)
    Response.objects.create(
        appointment=submitted,
        questionnaire=questionnaire_default(),
        status=ResponseStatus.SUBMITTED,
        submitted_at=timezone.now(),
        updated_at=timezone.now() - timedelta(days=1),
    )
    cancelled = reminder_appointment(40)
    cancelled.status = AppointmentStatus.CANCELLED
    cancelled.save()
    nowhere = reminder_appointment(40, email="", phone="")
    appointment_reminders_send()
    assert not Notification.objects.filter(appointment__in=[submitted, cancelled, nowhere]).exists()
    nowhere.refresh_from_db()
    assert nowhere.reminder_48h_sent_at is not None  # dealt with: nothing to send it to


def test_a_patient_answering_right_now_is_reminded_only_after_they_pause():
    appointment = reminder_appointment(40)
    Response.objects.create(appointment=appointment, questionnaire=questionnaire_default())
    assert appointment_reminders_send() == 0
    assert appointment_reminders_send(now=timezone.now() + timedelta(minutes=31)) == 1


def test_the_reminder_carries_a_link_made_at_send_time_and_the_time_only(smtp):
    appointment = reminder_appointment(47)
    old_link, old_token = link_issue(appointment=appointment)
    appointment_reminders_send()
    notification = Notification.objects.get(appointment=appointment)
    assert notification_deliver(notification_id=notification.pk).outcome == "sent"
    [message] = smtp.received
    text = message.everything()
    token = re.search(r"http://127\.0\.0\.1:8000/p/([\w-]+)/", text).group(1)
    notification.refresh_from_db()
    link = notification.previsit_link
    assert link.token_hash == token_hash(token) and link.revoked_at is None
    old_link.refresh_from_db()
    assert old_link.revoked_at is not None  # the new link replaces it, as the email says
    assert token != old_token and old_token not in text
    local = timezone.localtime(appointment.starts_at)
    assert local.strftime("%H:%M") in text
    for word in HEALTH_WORDS:
        assert word not in text
    assert message.rcpt_tos == [appointment.patient.email]


def test_a_reminder_that_is_no_longer_needed_is_cancelled_and_the_link_kept(smtp):
    appointment = reminder_appointment(47)
    link, _ = link_issue(appointment=appointment)
    appointment_reminders_send()
    notification = Notification.objects.get(appointment=appointment)
    Response.objects.create(
        appointment=appointment,
        questionnaire=questionnaire_default(),
        status=ResponseStatus.SUBMITTED,
        submitted_at=timezone.now(),
    )
    assert notification_deliver(notification_id=notification.pk).outcome == "cancelled"
    assert smtp.received == []
    link.refresh_from_db()
    assert link.revoked_at is None
    assert PrevisitLink.objects.filter(appointment=appointment).count() == 1


def test_a_failed_reminder_send_keeps_the_old_link_live(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
    appointment = reminder_appointment(47)
    link, _ = link_issue(appointment=appointment)
    appointment_reminders_send()
    notification = Notification.objects.get(appointment=appointment)
    assert notification_deliver(notification_id=notification.pk).outcome == "retry"
    link.refresh_from_db()
    assert link.revoked_at is None
    assert PrevisitLink.objects.filter(appointment=appointment).count() == 1


def test_sms_reminders_go_through_the_pluggable_backend(settings, capsys):
    settings.PATIENT_REMINDER_SMS = True
    appointment = reminder_appointment(47, email="", phone="+15550100999")
    appointment_reminders_send()
    notification = Notification.objects.get(appointment=appointment)
    assert notification.channel == NotificationChannel.SMS
    assert notification_deliver(notification_id=notification.pk).outcome == "sent"
    printed = capsys.readouterr().out
    assert "SMS to +15550100999" in printed and "/p/" in printed
    for word in HEALTH_WORDS:
        assert word not in printed


def test_the_console_sms_backend_writes_to_its_stream():
    stream = io.StringIO()
    ConsoleSmsBackend(stream=stream).send(to="+1555", body="hello")
    assert "SMS to +1555:\nhello" in stream.getvalue()


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
    assert notifications_sweep().failed == 1
    assert Notification.objects.get(pk=notification.pk).status == "failed"
    assert Notification.objects.filter(kind="delivery_failed", recipient=admin_user).exists()


# --- The admin --------------------------------------------------------------------------------


@pytest.fixture
def failed(clinician):
    notification = email_of(flag(), clinician)
    Notification.objects.filter(pk=notification.pk).update(
        status="failed",
        attempts=5,
        last_error="SMTP 451: Try again later",
        failed_at=timezone.now(),
    )
    return notification


@pytest.mark.parametrize("persona", ["admin_user", "clinic_admin"])
def test_the_admin_lists_a_failed_notification_and_retries_it(
    client, failed, persona, request, broker, django_capture_on_commit_callbacks
):
    if persona == "admin_user":
        user = request.getfixturevalue("admin_user")
    else:
        user = UserFactory(username="office", role=Role.CLINIC_ADMIN.value)
    client.force_login(user)
    listing = client.get("/admin/clinic/notification/?status__exact=failed")
    assert listing.status_code == 200
    assert f'value="{failed.pk}"' in listing.content.decode()
    detail = client.get(f"/admin/clinic/notification/{failed.pk}/change/")
    assert b"SMTP 451: Try again later" in detail.content
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/clinic/notification/",
            {"action": "retry", "_selected_action": [failed.pk]},
            follow=True,
        )
    assert b"1 notification(s) queued again" in response.content
    failed.refresh_from_db()
    assert (failed.status, failed.attempts, failed.retry_round) == ("pending", 0, 1)
    entry = LogEntry.objects.get(object_id=str(failed.pk))
    assert entry.user == user and "Retry requested" in entry.get_change_message()
    assert queued_ids(broker) == [failed.pk]


def test_retrying_a_notification_that_did_not_fail_changes_nothing(client, admin_user, clinician):
    sent = email_of(flag(), clinician)
    Notification.objects.filter(pk=sent.pk).update(status="sent", sent_at=timezone.now())
    client.force_login(admin_user)
    response = client.post(
        "/admin/clinic/notification/",
        {"action": "retry", "_selected_action": [sent.pk]},
        follow=True,
    )
    assert b"had not failed; left alone" in response.content
    assert Notification.objects.get(pk=sent.pk).status == "sent"
    assert notification_retry(notification_ids=[sent.pk, 999999], by=admin_user) == 0


def test_notifications_cannot_be_edited_added_or_deleted_in_the_admin(client, admin_user, failed):
    client.force_login(admin_user)
    assert client.get("/admin/clinic/notification/add/").status_code == 403
    page = client.post(f"/admin/clinic/notification/{failed.pk}/change/", {"status": "sent"})
    assert page.status_code == 403
    assert client.post(f"/admin/clinic/notification/{failed.pk}/delete/").status_code == 403
    assert Notification.objects.get(pk=failed.pk).status == "failed"


def test_clinicians_and_front_desk_cannot_retry_notifications(
    client, clinician, front_desk, failed
):
    for user in (clinician, front_desk):
        client.force_login(user)
        assert client.get("/admin/clinic/notification/").status_code == 403
        client.post(
            "/admin/clinic/notification/", {"action": "retry", "_selected_action": [failed.pk]}
        )
    assert Notification.objects.get(pk=failed.pk).status == "failed"


def test_a_webhook_is_added_in_the_admin_and_its_secret_never_shown_back(client, admin_user):
    client.force_login(admin_user)
    secret = "a-long-shared-secret-7f3k"
    response = client.post(
        "/admin/clinic/webhookendpoint/add/",
        {"name": "Team chat", "url": "https://chat.example.org/hooks/1", "active": "on",
         "new_secret": secret},
    )  # fmt: skip
    assert response.status_code == 302, response.content[:2000]
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.secret == secret
    listing = client.get("/admin/clinic/webhookendpoint/").content.decode()
    change = client.get(f"/admin/clinic/webhookendpoint/{endpoint.pk}/change/").content.decode()
    for page in (listing, change):
        assert secret not in page
        assert "…7f3k" in page
    # Saving without a new secret keeps the old one.
    client.post(
        f"/admin/clinic/webhookendpoint/{endpoint.pk}/change/",
        {"name": "Team chat", "url": "https://chat.example.org/hooks/2", "active": "on"},
    )
    endpoint.refresh_from_db()
    assert endpoint.secret == secret and endpoint.url.endswith("/2")


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"url": "http://chat.example.org/h", "new_secret": "x" * 20}, "Use an https:// address"),
        ({"url": "ftp://chat.example.org/h", "new_secret": "x" * 20}, "Use an https:// address"),
        ({"url": "https://chat.example.org/h", "new_secret": "short"}, "at least 16"),
        ({"url": "https://chat.example.org/h", "new_secret": ""}, "Set a secret"),
        ({"url": "not a url", "new_secret": "x" * 20}, "Enter a valid URL"),
    ],
)
def test_a_bad_webhook_is_refused_with_a_reason(client, admin_user, data, error):
    client.force_login(admin_user)
    response = client.post("/admin/clinic/webhookendpoint/add/", {"name": "Chat", **data})
    assert response.status_code == 200
    assert error in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_the_duty_roster_is_kept_in_the_admin_and_refuses_a_bad_rank(client, admin_user, clinician):
    client.force_login(admin_user)
    response = client.post(
        "/admin/clinic/staffprofile/add/",
        {"user": clinician.pk, "on_duty": "on", "escalation_rank": "1"},
    )
    assert response.status_code == 302
    assert StaffProfile.objects.get(user=clinician).on_duty
    for bad in ("-1", "0", "first", "1.5", "99999999"):
        response = client.post(
            f"/admin/clinic/staffprofile/{clinician.staff_profile.pk}/change/",
            {"user": clinician.pk, "escalation_rank": bad},
        )
        assert response.status_code == 200 and b"errornote" in response.content
    assert StaffProfile.objects.get(user=clinician).escalation_rank == 1


# --- The bell and the list ----------------------------------------------------------------------


def test_every_staff_page_shows_the_bell_with_the_unread_count(client, clinician):
    on_duty(clinician)
    flag()
    flag("urgent")
    client.force_login(clinician)
    for url in ("/dashboard/", "/dashboard/appointments/"):
        page = client.get(url).content.decode()
        assert 'id="notification-bell"' in page
        assert 'data-unread="2"' in page and "Notifications: 2 unread" in page
        assert 'hx-trigger="every 10s"' in page


def test_the_bell_answers_204_when_nothing_changed_and_announces_a_rise(client, clinician):
    on_duty(clinician)
    flag()
    client.force_login(clinician)
    url = reverse("clinic:notification_bell")
    same = client.get(url, {"seen": 1}, headers={"HX-Request": "true"})
    assert same.status_code == 204
    rose = client.get(url, {"seen": 0}, headers={"HX-Request": "true"})
    body = rose.content.decode()
    assert rose.status_code == 200 and 'data-unread="1"' in body
    assert 'hx-swap-oob="innerHTML"' in body and "New notification. 1 unread." in body
    assert rose["Cache-Control"].startswith("no-store")


@pytest.mark.parametrize("seen", ["abc", "-1", "1.5", "99999999999"])
def test_the_bell_refuses_a_malformed_count(client, clinician, seen):
    client.force_login(clinician)
    response = client.get(reverse("clinic:notification_bell"), {"seen": seen})
    assert response.status_code == 400


def test_the_bell_and_the_list_are_for_signed_in_staff_only(client, front_desk, db):
    url = reverse("clinic:notification_bell")
    anonymous = client.get(url, headers={"HX-Request": "true"})
    assert anonymous.status_code == 204 and anonymous["HX-Refresh"] == "true"
    assert client.get(url)["Location"].startswith("/accounts/login/")
    assert client.get("/dashboard/notifications/")["Location"].startswith("/accounts/login/")
    assert client.post(url).status_code == 405
    client.force_login(UserFactory(username="no-role"))
    assert client.get(url).status_code == 403
    assert client.get("/dashboard/notifications/").status_code == 403
    client.force_login(front_desk)
    assert client.get(url).status_code == 200
    assert client.get("/dashboard/notifications/", {"page": "x' OR 1=1"}).status_code == 200
    assert client.post("/dashboard/notifications/").status_code == 405


def test_the_list_shows_only_my_notifications_without_health_information_and_marks_them_read(
    client, clinician, other_clinician
):
    on_duty(clinician, other_clinician)
    case = flag()
    client.force_login(clinician)
    page = client.get("/dashboard/notifications/").content.decode()
    assert f"Emergency case {case.pk} flagged" in page
    assert f'href="/dashboard/cases/{case.pk}/"' in page
    assert "New" in page
    for word in HEALTH_WORDS:
        assert word not in page
    assert page.count("data-notification=") == 1
    assert not Notification.objects.in_app_for(clinician).unread().exists()
    assert Notification.objects.in_app_for(other_clinician).unread().count() == 1
    assert 'data-unread="0"' in client.get("/dashboard/").content.decode()


def test_an_admin_sees_a_failure_notice_linking_to_the_admin(client, admin_user, failed):
    from clinic.notifications import _notify_admins_of_failure

    _notify_admins_of_failure(Notification.objects.get(pk=failed.pk))
    client.force_login(admin_user)
    page = client.get("/dashboard/notifications/").content.decode()
    assert f"Notification {failed.pk} could not be delivered" in page
    assert f"/admin/clinic/notification/{failed.pk}/change/" in page
