"""The email channel: templates to a message, and SMTP over one reused connection per worker."""

import os
import smtplib
import time
from contextlib import suppress
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string

from clinic.notifications.errors import PermanentDeliveryError, TransientDeliveryError
from clinic.notifications.kinds import KindHandlers, Message
from clinic.notifications.models import Notification


def render_email(template: str, context: dict) -> Message:
    """A message from the triplet `<template>-subject.txt`, `<template>.txt`, `<template>.html`
    (e.g. `clinic/email/case-flagged`)."""
    context = {"clinic_name": settings.CLINIC_NAME, **context}
    subject = " ".join(render_to_string(f"{template}-subject.txt", context).split())
    text = render_to_string(f"{template}.txt", context)
    html = render_to_string(f"{template}.html", context)
    return Message(subject=subject, text=text, html=html)


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


def smtp_send(notification: Notification, message: Message) -> None:
    if not notification.address:
        raise PermanentDeliveryError("the recipient has no email address")
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=message.text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.address],
        headers={"Message-ID": message_id(notification), "Auto-Submitted": "auto-generated"},
    )
    email.attach_alternative(message.html, "text/html")
    try:
        _mail.send(email)
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


def deliver_email(notification: Notification, handlers: KindHandlers) -> None:
    if handlers.email is None:
        raise PermanentDeliveryError(f"a {notification.get_kind_display()} has no email form")
    smtp_send(notification, handlers.email(notification))
