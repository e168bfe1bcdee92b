"""Retention: drafts nobody submitted are deleted once their appointment has passed."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from intake.responses.models import Response, ResponseStatus


def drafts_purge(*, now=None, batch: int = 500) -> int:
    """Delete drafts nobody submitted: untouched for DRAFT_RETENTION_DAYS, appointment past.

    One row at a time, so each deletion is in the audit trail. A flagged case stays (it belongs
    to the appointment, and its reasons are the clinical record). Returns how many went.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.DRAFT_RETENTION_DAYS)
    stale = Response.objects.drafts().filter(updated_at__lt=cutoff, appointment__starts_at__lt=now)
    deleted = 0
    for response in stale.order_by("pk")[:batch]:
        with transaction.atomic():
            # Re-checked under the row lock: a patient may be submitting this very draft.
            locked = Response.objects.select_for_update().filter(
                pk=response.pk, status=ResponseStatus.IN_PROGRESS, updated_at__lt=cutoff
            )
            for row in locked:
                row.delete()
                deleted += 1
    return deleted
