"""Notifications: who is told what, on which channel, and delivery that is never lost or doubled.

Every notification is a `Notification` row written in the transaction that causes it (a flag,
an escalation, a reminder), so it exists exactly when its cause does. Only after the commit is a
Celery message published, and only the row's id travels. A worker claims the row with a
conditional update (PENDING to SENDING) and acts only if it won, so a message delivered twice
sends once. A beat sweep re-queues rows whose message was lost (the broker was down at commit)
and rows left SENDING by a worker that died.

Minimum necessary: no health information leaves in an email, webhook or task argument. Staff
messages carry the level, a case reference and a link to the dashboard; patient reminders carry
the appointment time and a link.

The one unavoidable window: a worker killed after the mail server accepted a message but before
the row was marked sent. The sweep then sends it again, with the same Message-ID (and the same
X-Previsit-Delivery header for webhooks), so a receiver can recognise the repeat.
"""

import hashlib
import hmac
import http.client
import json
import logging
import os
import random
import smtplib
import ssl
import sys
import time
from contextlib import suppress
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from urllib.parse import urlsplit

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import OperationalError, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string

from clinic.celery import PUBLISH_ERRORS
from clinic.models import (
    Appointment,
    AppointmentStatus,
    AttemptOutcome,
    Case,
    CaseLevel,
    DeliveryAttempt,
    Notification,
    NotificationChannel,
    NotificationKind,
    NotificationStatus,
    StaffProfile,
    WebhookEndpoint,
)
from clinic.roles import Role

logger = logging.getLogger("clinic.notifications")

# A publish to a broker that is down gives up after about half a second: the request that
# committed the rows must not wait on it, and the sweep sends what could not be queued.
PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2}
# A retry message may arrive a little before its row is due (clocks, rounding).
EARLY_TOLERANCE = timedelta(seconds=2)


class TransientDeliveryError(Exception):
    """May pass if tried again: timeouts, refused connections, SMTP 4xx, HTTP 5xx and 429."""


class PermanentDeliveryError(Exception):
    """Trying again won't help: SMTP 5xx, HTTP 4xx, no address. An admin must look."""


class NotNeeded(Exception):
    """The message no longer applies (the patient submitted, the webhook was switched off)."""


# --- Who is told ------------------------------------------------------------------------------


def _active_users():
    return get_user_model().objects.filter(is_active=True)


def clinicians_on_duty() -> list:
    """Clinicians marked on duty; if nobody is, every active clinician.

    A flag that reaches nobody is the worst failure this product can have, so an empty roster
    widens the circle instead of silencing it.
    """
    clinicians = _active_users().filter(groups__name=Role.CLINICIAN.value)
    on_duty = list(clinicians.filter(staff_profile__on_duty=True).order_by("pk").distinct())
    if on_duty:
        return on_duty
    logger.warning("no clinician is marked on duty: telling every active clinician")
    return list(clinicians.order_by("pk").distinct())


def escalation_contacts(*, exclude_ids: set[int], limit: int) -> list:
    """The next people on the escalation list (lowest rank first) not already told."""
    profiles = (
        StaffProfile.objects.filter(escalation_rank__isnull=False, user__is_active=True)
        .exclude(user_id__in=exclude_ids)
        .select_related("user")
        .order_by("escalation_rank", "user_id")
    )
    return [profile.user for profile in profiles[:limit]]


def clinic_admins() -> list:
    return list(
        _active_users()
        .filter(Q(groups__name=Role.CLINIC_ADMIN.value) | Q(is_superuser=True))
        .order_by("pk")
        .distinct()
    )


# --- Making notifications (inside the caller's transaction) -----------------------------------


def _staff_rows(*, kind: str, key: str, users, **fields) -> list[Notification]:
    """An in-app notification and an email for each user.

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
                **fields,
            )
        )
        rows.append(
            Notification(
                kind=kind,
                channel=NotificationChannel.EMAIL,
                recipient=user,
                address=user.email,
                idempotency_key=f"{key}:email:{user.pk}",
                **fields,
            )
        )
    return rows


def _webhook_rows(*, kind: str, key: str, **fields) -> list[Notification]:
    return [
        Notification(
            kind=kind,
            channel=NotificationChannel.WEBHOOK,
            webhook=endpoint,
            idempotency_key=f"{key}:webhook:{endpoint.pk}",
            **fields,
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


def notify_case_flagged(*, case: Case, level: str) -> list[int]:
    """Tell the clinicians on duty (in the app and by email) and the webhooks about a flag.

    Called by `case_flag` inside its transaction; the level is part of the key, so a case raised
    from urgent to emergency is announced again and a repeated flag is not.
    """
    key = f"case-flagged:{case.pk}:{level}"
    fields = {"case": case, "level": level}
    rows = _staff_rows(
        kind=NotificationKind.CASE_FLAGGED, key=key, users=clinicians_on_duty(), **fields
    )
    rows += _webhook_rows(kind=NotificationKind.CASE_FLAGGED, key=key, **fields)
    return _save(rows)


def notify_case_escalated(*, case: Case) -> list:
    """Tell the next people on the escalation list and the clinic admins. Returns who was told."""
    told = set(
        Notification.objects.filter(case=case, kind=NotificationKind.CASE_FLAGGED)
        .exclude(recipient=None)
        .values_list("recipient_id", flat=True)
    )
    users = escalation_contacts(exclude_ids=told, limit=settings.ESCALATION_CONTACTS)
    users += [admin for admin in clinic_admins() if admin not in users]
    if not users:
        # Nobody on the list and no admin: tell every clinician again rather than nobody.
        users = clinicians_on_duty()
    key = f"case-escalated:{case.pk}"
    fields = {"case": case, "level": case.level}
    rows = _staff_rows(kind=NotificationKind.CASE_ESCALATED, key=key, users=users, **fields)
    rows += _webhook_rows(kind=NotificationKind.CASE_ESCALATED, key=key, **fields)
    _save(rows)
    return users


def notify_link_locked(*, link) -> list[int]:
    """Tell the clinic admins (in the app and by email) that a patient link locked itself.

    Called by `intake.services.link_verify` inside its transaction when the wrong dates of birth
    reach the limit: someone may be guessing. Says which link, never whose.
    """
    key = f"link-locked:{link.pk}:{link.locked_until.isoformat()}"
    rows = _staff_rows(
        kind=NotificationKind.LINK_LOCKED, key=key, users=clinic_admins(), previsit_link=link
    )
    return _save(rows)


def _notify_admins_of_failure(notification: Notification) -> None:
    if notification.kind == NotificationKind.DELIVERY_FAILED:
        # A failure notice that fails is logged, not announced again: no loop.
        logger.error("failure notice %s could not be delivered", notification.pk)
        return
    key = f"delivery-failed:{notification.pk}:{notification.retry_round}"
    rows = _staff_rows(
        kind=NotificationKind.DELIVERY_FAILED, key=key, users=clinic_admins(), about=notification
    )
    _save(rows)


# --- Queueing ---------------------------------------------------------------------------------


def notifications_enqueue(*, notification_ids: list[int]) -> int:
    """Publish one delivery task per id. Never raises for a broker that is down.

    Runs after the commit: the rows are already safe, so a broker outage only delays them until
    the sweep finds them. Returns how many were queued.
    """
    from clinic.tasks import notification_deliver

    queued = 0
    for notification_id in notification_ids:
        try:
            notification_deliver.apply_async(
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


# --- Delivering -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Delivery:
    outcome: str  # sent, retry, failed, cancelled, not_claimed, not_due
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
                return Delivery("not_due", retry_in=max(wait, 1.0))
            return Delivery("not_claimed")
        notification = Notification.objects.select_related("webhook").get(pk=notification_id)
        attempt = DeliveryAttempt.objects.create(
            notification=notification,
            retry_round=notification.retry_round,
            number=notification.attempts,
            started_at=now,
        )
    try:
        try:
            CHANNELS[notification.channel](notification)
        except (SoftTimeLimitExceeded, OperationalError) as exc:
            # Out of time, or the database went away mid-delivery: both may pass.
            raise TransientDeliveryError(f"{type(exc).__name__}: {exc}") from exc
    except NotNeeded as exc:
        _finish(notification, attempt, NotificationStatus.CANCELLED, AttemptOutcome.SKIPPED, exc)
        return Delivery("cancelled")
    except TransientDeliveryError as exc:
        if notification.attempts < settings.NOTIFICATION_MAX_ATTEMPTS:
            delay = retry_delay(notification.attempts)
            _finish(
                notification,
                attempt,
                NotificationStatus.PENDING,
                AttemptOutcome.TRANSIENT,
                exc,
                next_attempt_at=timezone.now() + timedelta(seconds=delay),
            )
            return Delivery("retry", retry_in=delay)
        _fail(notification, attempt, exc, AttemptOutcome.TRANSIENT)
        return Delivery("failed")
    except PermanentDeliveryError as exc:
        _fail(notification, attempt, exc, AttemptOutcome.PERMANENT)
        return Delivery("failed")
    except Exception as exc:
        # Our own bug: not retried (it would fail the same way), but never silent either.
        _fail(notification, attempt, f"{type(exc).__name__} (see the worker log)", "permanent")
        raise
    _finish(notification, attempt, NotificationStatus.SENT, AttemptOutcome.SENT, "")
    return Delivery("sent")


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
            _notify_admins_of_failure(notification)


def _fail(notification, attempt, error, outcome) -> None:
    logger.warning(
        "notification %s failed for good after %d attempt(s): %s",
        notification.pk,
        notification.attempts,
        _error_text(error),
    )
    _finish(notification, attempt, NotificationStatus.FAILED, outcome, error)


# --- Channels ---------------------------------------------------------------------------------


def _site_url(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def _email_context(notification: Notification) -> dict:
    context = {
        "clinic_name": settings.CLINIC_NAME,
        "level": notification.get_level_display(),
        "is_emergency": notification.level == CaseLevel.EMERGENCY,
        "case_ref": notification.case_id,
    }
    if notification.case_id:
        context["url"] = _site_url(reverse("clinic:case", args=[notification.case_id]))
    if notification.kind == NotificationKind.CASE_ESCALATED:
        target = (
            settings.EMERGENCY_ACK_TARGET
            if notification.level == CaseLevel.EMERGENCY
            else settings.URGENT_ACK_TARGET
        )
        context["target_minutes"] = int(target.total_seconds() // 60)
    if notification.kind == NotificationKind.LINK_LOCKED:
        context["link_ref"] = notification.previsit_link_id
        context["lock_minutes"] = settings.PREVISIT_LOCK_MINUTES
        context["url"] = _site_url(
            reverse("admin:intake_previsitlink_change", args=[notification.previsit_link_id])
        )
    if notification.kind == NotificationKind.DELIVERY_FAILED:
        about = notification.about
        context["about_ref"] = notification.about_id
        context["about_what"] = f"{about.get_kind_display()}, {about.get_channel_display()}"
        context["url"] = _site_url(
            reverse("admin:clinic_notification_change", args=[notification.about_id])
        )
    return context


EMAIL_TEMPLATES = {
    NotificationKind.CASE_FLAGGED: "case-flagged",
    NotificationKind.CASE_ESCALATED: "case-escalated",
    NotificationKind.DELIVERY_FAILED: "delivery-failed",
    NotificationKind.LINK_LOCKED: "link-locked",
    NotificationKind.REMINDER_48H: "appointment-reminder",
    NotificationKind.REMINDER_2H: "appointment-reminder",
}


def render_email(name: str, context: dict) -> tuple[str, str, str]:
    """(subject, text, html) from the triplet templates/clinic/email/<name>*."""
    subject = render_to_string(f"clinic/email/{name}-subject.txt", context)
    subject = " ".join(subject.split())
    text = render_to_string(f"clinic/email/{name}.txt", context)
    html = render_to_string(f"clinic/email/{name}.html", context)
    return subject, text, html


def message_id(notification: Notification) -> str:
    """The same on every attempt, so a receiver can recognise a repeat."""
    host = urlsplit(settings.SITE_URL).hostname or "previsit.invalid"
    return f"<previsit-notification-{notification.pk}@{host}>"


class _MailConnection:
    """One mail connection per worker process, kept open between deliveries.

    Saves a TCP connect, EHLO and QUIT per email. A connection idle for longer than a relay is
    likely to keep it is not reused, and one the server dropped is replaced once at once: a
    message the server never accepted can't be a duplicate. Any other error closes it, so the
    next delivery starts a clean session. Changed email settings (tests) get a new connection.
    """

    IDLE_SECONDS = 30

    def __init__(self):
        self._backend = None
        self._key = None
        self._last_used = 0.0

    def _settings_key(self):
        return (
            os.getpid(),
            settings.EMAIL_BACKEND,
            settings.EMAIL_HOST,
            settings.EMAIL_PORT,
            settings.EMAIL_HOST_USER,
            settings.EMAIL_USE_TLS,
        )

    def _fresh(self):
        self.close()
        self._backend = get_connection(fail_silently=False)
        self._backend.open()
        self._key = self._settings_key()
        return self._backend

    def send(self, message) -> None:
        stale = time.monotonic() - self._last_used > self.IDLE_SECONDS
        reused = not (self._backend is None or stale or self._key != self._settings_key())
        backend = self._backend if reused else self._fresh()
        try:
            try:
                backend.send_messages([message])
            except (smtplib.SMTPServerDisconnected, OSError):
                if not reused:
                    raise
                self._fresh().send_messages([message])
        except BaseException:
            self.close()
            raise
        self._last_used = time.monotonic()

    def close(self) -> None:
        if self._backend is not None:
            with suppress(Exception):
                self._backend.close()
        self._backend = None


_mail = _MailConnection()


def _smtp_send(notification: Notification, subject: str, text: str, html: str) -> None:
    if not notification.address:
        raise PermanentDeliveryError("the recipient has no email address")
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.address],
        headers={"Message-ID": message_id(notification), "Auto-Submitted": "auto-generated"},
    )
    message.attach_alternative(html, "text/html")
    try:
        _mail.send(message)
    except smtplib.SMTPResponseException as exc:
        reason = f"SMTP {exc.smtp_code}: {_smtp_text(exc.smtp_error)}"
        if 500 <= exc.smtp_code < 600:
            raise PermanentDeliveryError(reason) from exc
        raise TransientDeliveryError(reason) from exc
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        reason = f"SMTP recipient refused: {codes}"
        if codes and all(400 <= code < 500 for code in codes):
            raise TransientDeliveryError(reason) from exc
        raise PermanentDeliveryError(reason) from exc
    except smtplib.SMTPNotSupportedError as exc:
        raise PermanentDeliveryError(f"SMTP: {exc}") from exc
    except (smtplib.SMTPException, OSError) as exc:
        # Disconnects, refused connections, timeouts, TLS failures: all may pass.
        raise TransientDeliveryError(f"{type(exc).__name__}: {exc}") from exc


def _smtp_text(error) -> str:
    return error.decode(errors="replace") if isinstance(error, bytes) else str(error)


def deliver_email(notification: Notification) -> None:
    if notification.kind in (NotificationKind.REMINDER_48H, NotificationKind.REMINDER_2H):
        _deliver_reminder(notification, _send_reminder_email)
        return
    subject, text, html = render_email(
        EMAIL_TEMPLATES[notification.kind], _email_context(notification)
    )
    _smtp_send(notification, subject, text, html)


def webhook_payload(notification: Notification) -> dict:
    """What a webhook receives: the event, the level, a case reference and a link. Nothing else."""
    event = {
        NotificationKind.CASE_FLAGGED: "case.flagged",
        NotificationKind.CASE_ESCALATED: "case.escalated",
    }[notification.kind]
    return {
        "event": event,
        "level": notification.level,
        "case": notification.case_id,
        "url": _site_url(reverse("clinic:case", args=[notification.case_id])),
        "clinic": settings.CLINIC_NAME,
        "delivery": notification.idempotency_key,
        "created_at": notification.created_at.isoformat(),
    }


def webhook_signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def deliver_webhook(notification: Notification) -> None:
    endpoint = notification.webhook
    if endpoint is None or not endpoint.active:
        raise NotNeeded("the webhook was switched off")
    body = json.dumps(webhook_payload(notification), separators=(",", ":"), sort_keys=True)
    body = body.encode()
    parts = urlsplit(endpoint.url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PermanentDeliveryError("the webhook URL is not an http(s) URL")
    timeout = settings.WEBHOOK_TIMEOUT_SECONDS
    if parts.scheme == "https":
        connection = http.client.HTTPSConnection(
            parts.hostname, parts.port, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Previsit-Webhook/1",
        "X-Previsit-Event": json.loads(body)["event"],
        "X-Previsit-Delivery": notification.idempotency_key,
        "X-Previsit-Signature": webhook_signature(endpoint.secret, body),
    }
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        response.read(65536)
        status = response.status
    except (OSError, http.client.HTTPException) as exc:
        raise TransientDeliveryError(f"{type(exc).__name__}: {exc}") from exc
    finally:
        connection.close()
    if 200 <= status < 300:
        return
    reason = f"HTTP {status} from the webhook"
    if status >= 500 or status in (408, 425, 429):
        raise TransientDeliveryError(reason)
    raise PermanentDeliveryError(reason)


class ConsoleSmsBackend:
    """Prints the message: a stand-in until the clinic chooses an SMS provider.

    A real backend has the same shape: `send(*, to, body)`, raising TransientDeliveryError for
    what may pass and PermanentDeliveryError for what won't.
    """

    def __init__(self, stream=None):
        self.stream = stream or sys.stdout

    def send(self, *, to: str, body: str) -> None:
        self.stream.write(f"SMS to {to}:\n{body}\n{'-' * 40}\n")
        self.stream.flush()


def sms_backend():
    return import_string(settings.SMS_BACKEND)()


def deliver_sms(notification: Notification) -> None:
    if not notification.address:
        raise PermanentDeliveryError("the recipient has no phone number")
    _deliver_reminder(notification, _send_reminder_sms)


def deliver_in_app(notification: Notification) -> None:
    """In-app rows are delivered by their commit; a pending one (an old row) just becomes sent."""


CHANNELS = {
    NotificationChannel.IN_APP: deliver_in_app,
    NotificationChannel.EMAIL: deliver_email,
    NotificationChannel.WEBHOOK: deliver_webhook,
    NotificationChannel.SMS: deliver_sms,
}


# --- Patient reminders --------------------------------------------------------------------------

REMINDERS = (
    (NotificationKind.REMINDER_48H, "reminder_48h_sent_at", timedelta(hours=48)),
    (NotificationKind.REMINDER_2H, "reminder_2h_sent_at", timedelta(hours=2)),
)


def _reminder_context(appointment: Appointment, link_url: str) -> dict:
    return {
        "clinic_name": settings.CLINIC_NAME,
        "starts_at": timezone.localtime(appointment.starts_at),
        "link_url": link_url,
    }


def _send_reminder_email(notification: Notification, link_url: str) -> None:
    context = _reminder_context(notification.appointment, link_url)
    subject, text, html = render_email("appointment-reminder", context)
    _smtp_send(notification, subject, text, html)


def _send_reminder_sms(notification: Notification, link_url: str) -> None:
    context = _reminder_context(notification.appointment, link_url)
    body = render_to_string("clinic/sms/appointment-reminder.txt", context).strip()
    sms_backend().send(to=notification.address, body=body)


def _deliver_reminder(notification: Notification, send) -> None:
    """Make the patient's link now, send it, and record which link the reminder carried.

    Links are stored only as hashes, so a reminder can't carry the link made at booking: it
    carries a new one, which replaces the old (one live link per appointment). Answers saved so
    far belong to the appointment, not the link, so nothing is lost. The new link, the record of
    it and the send share one transaction: if the send fails, the old link stays live.
    """
    from intake.models import Response, ResponseStatus
    from intake.services import link_issue, link_path

    appointment = Appointment.objects.get(pk=notification.appointment_id)
    if appointment.status != AppointmentStatus.SCHEDULED:
        raise NotNeeded("the appointment is no longer scheduled")
    if appointment.starts_at <= timezone.now():
        raise NotNeeded("the appointment has started")
    submitted = Response.objects.filter(appointment=appointment, status=ResponseStatus.SUBMITTED)
    if submitted.exists():
        raise NotNeeded("the questionnaire was submitted")
    with transaction.atomic():
        link, token = link_issue(appointment=appointment)
        Notification.objects.filter(pk=notification.pk).update(previsit_link=link)
        send(notification, _site_url(link_path(token)))


def appointment_reminders_send(*, now=None) -> int:
    """Queue the 48-hour and 2-hour reminders that are due. Returns how many were queued.

    Works from "done" markers, not an exact time: an appointment inside a window whose marker is
    empty is reminded whenever the job runs, so a missed run catches up and a second run sends
    nothing. An appointment booked inside the 2-hour window gets only the 2-hour reminder.
    """
    from intake.models import PrevisitLink, Response, ResponseStatus

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
    row = Notification(
        kind=kind,
        channel=channel,
        appointment=appointment,
        address=address,
        idempotency_key=f"{kind}:{appointment.pk}:{channel}",
    )
    return bool(_save([row]))


# --- The sweep ----------------------------------------------------------------------------------


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
    if notification.attempts >= settings.NOTIFICATION_MAX_ATTEMPTS:
        notification.status = NotificationStatus.FAILED
        notification.failed_at = now
        notification.last_error = error
        notification.save(update_fields=["status", "failed_at", "last_error"])
        _notify_admins_of_failure(notification)
        return NotificationStatus.FAILED
    notification.status = NotificationStatus.PENDING
    notification.next_attempt_at = now
    notification.claimed_at = None
    notification.last_error = error
    notification.save(update_fields=["status", "next_attempt_at", "claimed_at", "last_error"])
    return NotificationStatus.PENDING


# --- Staff actions ------------------------------------------------------------------------------


@transaction.atomic
def notification_retry(*, notification_ids, by) -> int:
    """Send failed notifications again with a fresh set of attempts; the admin log records who."""
    from django.contrib.admin.models import CHANGE, LogEntry

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


def notifications_mark_read(*, user, notification_ids) -> int:
    return (
        Notification.objects.in_app_for(user)
        .unread()
        .filter(pk__in=list(notification_ids))
        .update(read_at=timezone.now())
    )


# --- Reads for the bell -------------------------------------------------------------------------


def unread_count(*, user) -> int:
    return Notification.objects.in_app_for(user).unread().count()


def inbox(*, user, limit: int = 50) -> list[Notification]:
    return list(Notification.objects.in_app_for(user).order_by("-created_at", "-id")[:limit])
