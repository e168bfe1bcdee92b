"""Patient reminders: queued once per window, each with a link made as it is sent."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from clinic.notifications.delivery import notification_deliver
from clinic.notifications.models import (
    Notification,
    NotificationChannel,
)
from clinic.records.models import AppointmentStatus
from intake.links.models import PrevisitLink
from intake.links.reminders import appointment_reminders_send
from intake.links.services import link_issue, token_hash
from intake.questionnaires.services import questionnaire_default
from intake.responses.models import Response, ResponseStatus
from tests.factories import AppointmentFactory, PatientFactory
from tests.fakes import (
    free_port,
)
from tests.notifications_support import (
    HEALTH_WORDS,
    PATIENT_FIRST,
    PATIENT_LAST,
)

pytestmark = pytest.mark.django_db


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
    assert old_link.revoked_at is None  # the booking email's link keeps working, as this says
    assert "Any link we sent you before still works" in text
    assert token != old_token and old_token not in text
    local = timezone.localtime(appointment.starts_at)
    assert local.strftime("%H:%M") in text
    for word in HEALTH_WORDS:
        assert word not in text
    assert message.rcpt_tos == [appointment.patient.email]


def test_a_patient_who_opens_the_booking_email_after_the_reminder_gets_in(smtp, client):
    """The finding: each reminder revoked the earlier link, and the patient with the booking
    email was told "We couldn't confirm your details" with the right date of birth."""
    appointment = reminder_appointment(47)
    _, booking_token = link_issue(appointment=appointment)
    appointment_reminders_send()
    for notification in Notification.objects.filter(appointment=appointment):
        assert notification_deliver(notification_id=notification.pk).outcome == "sent"
    reminder_token = re.search(r"/p/([\w-]+)/", smtp.received[0].everything()).group(1)
    born = appointment.patient.date_of_birth.isoformat()
    for token in (booking_token, reminder_token):
        client.get(f"/p/{token}/")
        verified = client.post("/p/verify/", {"date_of_birth": born})
        assert verified.status_code == 302 and verified["Location"] == "/p/start/", token
        client.cookies.clear()
    assert (
        PrevisitLink.objects.filter(appointment=appointment, revoked_at__isnull=True).count() == 2
    )


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
