import pytest
from django.utils import timezone

from clinic.notifications.models import Notification
from tests.notifications_support import email_of, flag


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
