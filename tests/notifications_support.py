"""Helpers of the notification tests: a flagged case, the roster, the messages in Redis."""

import base64
import json

from clinic.notifications.models import Notification, NotificationChannel
from clinic.review.services import case_flag
from clinic.staff.models import StaffProfile
from tests.factories import AppointmentFactory, PatientFactory, reason

PATIENT_FIRST, PATIENT_LAST = "Zebediah", "Quackenbush"
REASONS = [
    reason(
        rule_id="chest-pain",
        level="emergency",
        text="Crushing chest pain with sweating",
        evidence={"urgent-now": ["chest-pain"]},
    )
]
HEALTH_WORDS = (PATIENT_FIRST, PATIENT_LAST, "chest", "sweating", "Sore knee", "1984")


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
