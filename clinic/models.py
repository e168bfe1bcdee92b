"""Every model of the clinic app, so Django finds them (app label "clinic"): each lives in its room.

Rooms import models from their own room's module (`clinic.review.models`), never from here:
this module sits at the top of the layers (docs/architecture.md).
"""

from clinic.notifications.models import (  # noqa: F401
    DeliveryAttempt,
    Notification,
    WebhookEndpoint,
)
from clinic.records.models import Appointment, Patient  # noqa: F401
from clinic.review.models import Case, CaseEvent  # noqa: F401
from clinic.staff.models import StaffProfile  # noqa: F401
