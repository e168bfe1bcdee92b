"""A start-up check: every kind of notification has a room that says how it reads."""

from django.core import checks

from clinic.notifications.kinds import unregistered
from clinic.notifications.models import NotificationKind


def every_kind_registered(app_configs=None, **kwargs):
    return [
        checks.Error(
            f"No room registered how a '{kind}' notification reads, so it could never be sent.",
            hint="Register its KindHandlers with clinic.notifications.kinds.register() in an "
            "AppConfig.ready() (see clinic/apps.py, intake/apps.py).",
            id="notifications.E001",
        )
        for kind in unregistered(NotificationKind.values)
    ]
