"""Patient reminders, 48 and 2 hours before the visit: each carries a link made as it is sent.

Links are stored only as hashes, so a reminder can't carry the link made at booking: it carries
a new one, and every link sent before keeps working (a patient who opens the booking email after
the reminder must get in). Answers belong to the appointment, not the link: any of its links
opens the same questionnaire. The new link, the record of it and the send share the delivery's
transaction: if the send fails, no link is made.
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.template.loader import render_to_string
from django.utils import timezone

from clinic.http import absolute_url
from clinic.notifications import outbox
from clinic.notifications.email import render_email
from clinic.notifications.errors import NotNeeded
from clinic.notifications.kinds import KindHandlers, Message
from clinic.notifications.models import Notification, NotificationChannel, NotificationKind
from clinic.records.models import Appointment, AppointmentStatus
from intake.links.models import PrevisitLink
from intake.links.services import link_issue, link_path
from intake.responses.models import Response, ResponseStatus

REMINDERS = (
    (NotificationKind.REMINDER_48H, "reminder_48h_sent_at", timedelta(hours=48)),
    (NotificationKind.REMINDER_2H, "reminder_2h_sent_at", timedelta(hours=2)),
)


def appointment_reminders_send(*, now=None) -> int:
    """Queue the 48-hour and 2-hour reminders that are due. Returns how many were queued.

    Works from "done" markers, not an exact time: an appointment inside a window whose marker is
    empty is reminded whenever the job runs, so a missed run catches up and a second run sends
    nothing. An appointment booked inside the 2-hour window gets only the 2-hour reminder.
    """
    now = now or timezone.now()
    active_since = now - timedelta(minutes=settings.PATIENT_IDLE_MINUTES)
    answering_now = Exists(
        Response.objects.filter(appointment=OuterRef("pk"), updated_at__gte=active_since)
    ) | Exists(
        PrevisitLink.objects.filter(
            appointment=OuterRef("pk"), revoked_at__isnull=True, last_verified_at__gte=active_since
        )
    )
    submitted = Exists(
        Response.objects.filter(appointment=OuterRef("pk"), status=ResponseStatus.SUBMITTED)
    )
    queued = 0
    for index, (kind, marker, lead) in enumerate(REMINDERS):
        due = Appointment.objects.filter(
            status=AppointmentStatus.SCHEDULED,
            starts_at__gt=now,
            starts_at__lte=now + lead,
            **{f"{marker}__isnull": True},
        )
        if index + 1 < len(REMINDERS):
            due = due.filter(starts_at__gt=now + REMINDERS[index + 1][2])
        # A patient answering right now keeps their link: the reminder waits until they pause.
        due = due.exclude(submitted).exclude(answering_now).order_by("starts_at")
        ids = list(due.values_list("pk", flat=True)[: settings.NOTIFICATION_SWEEP_BATCH])
        for appointment_id in ids:
            if _remind(appointment_id=appointment_id, kind=kind, marker=marker, now=now):
                queued += 1
    return queued


@transaction.atomic
def _remind(*, appointment_id: int, kind: str, marker: str, now) -> bool:
    # The marker is set with a conditional update: of two runs at once, one queues the reminder.
    won = Appointment.objects.filter(pk=appointment_id, **{f"{marker}__isnull": True}).update(
        **{marker: now}
    )
    if won != 1:
        return False
    appointment = Appointment.objects.select_related("patient").get(pk=appointment_id)
    patient = appointment.patient
    if patient.email:
        channel, address = NotificationChannel.EMAIL, patient.email
    elif settings.PATIENT_REMINDER_SMS and patient.phone:
        channel, address = NotificationChannel.SMS, patient.phone
    else:
        return False  # nowhere to send it; the marker says this reminder is dealt with
    queued = outbox.patient_message(
        kind=kind,
        key=f"{kind}:{appointment.pk}:{channel}",
        channel=channel,
        address=address,
        appointment=appointment,
    )
    return bool(queued)


# --- How a reminder reads (composed at send time, inside the delivery's transaction) ----------


def _fresh_link(notification: Notification) -> tuple[Appointment, str]:
    """The appointment, and a new link for it recorded on the notification; NotNeeded when the
    reminder no longer applies."""
    appointment = Appointment.objects.get(pk=notification.appointment_id)
    if appointment.status != AppointmentStatus.SCHEDULED:
        raise NotNeeded("the appointment is no longer scheduled")
    if appointment.starts_at <= timezone.now():
        raise NotNeeded("the appointment has started")
    submitted = Response.objects.filter(appointment=appointment, status=ResponseStatus.SUBMITTED)
    if submitted.exists():
        raise NotNeeded("the questionnaire was submitted")
    link, token = link_issue(appointment=appointment)
    Notification.objects.filter(pk=notification.pk).update(previsit_link=link)
    return appointment, absolute_url(link_path(token))


def _context(appointment: Appointment, link_url: str) -> dict:
    return {"starts_at": timezone.localtime(appointment.starts_at), "link_url": link_url}


def _email(notification: Notification) -> Message:
    return render_email("intake/email/appointment-reminder", _context(*_fresh_link(notification)))


def _sms(notification: Notification) -> str:
    context = {"clinic_name": settings.CLINIC_NAME, **_context(*_fresh_link(notification))}
    return render_to_string("intake/sms/appointment-reminder.txt", context).strip()


def _headline(notification: Notification) -> str:
    return notification.get_kind_display()


KINDS = {kind: KindHandlers(headline=_headline, email=_email, sms=_sms) for kind, _, _ in REMINDERS}
