"""The SMS channel: a pluggable backend (SMS_BACKEND) with one method, send(*, to, body)."""

import sys

from django.conf import settings
from django.utils.module_loading import import_string

from clinic.notifications.errors import PermanentDeliveryError
from clinic.notifications.kinds import KindHandlers
from clinic.notifications.models import Notification


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


def deliver_sms(notification: Notification, handlers: KindHandlers) -> None:
    if not notification.address:
        raise PermanentDeliveryError("the recipient has no phone number")
    if handlers.sms is None:
        raise PermanentDeliveryError(f"a {notification.get_kind_display()} has no SMS form")
    sms_backend().send(to=notification.address, body=handlers.sms(notification))
