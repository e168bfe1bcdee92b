"""Retention: drafts nobody submitted are deleted after DRAFT_RETENTION_DAYS, by a beat task."""

from datetime import timedelta

import pytest
from auditlog.models import LogEntry
from django.conf import settings as django_settings
from django.utils import timezone

from intake.responses.models import Response, ResponseStatus
from intake.responses.retention import drafts_purge
from intake.responses.services import response_open
from intake.responses.tasks import drafts_purge as drafts_purge_task
from tests.factories import AppointmentFactory

pytestmark = pytest.mark.django_db


def _draft(*, days_idle: int, appointment_days_ago: int) -> Response:
    now = timezone.now()
    appointment = AppointmentFactory(starts_at=now - timedelta(days=appointment_days_ago))
    response = response_open(appointment=appointment)
    Response.objects.filter(pk=response.pk).update(updated_at=now - timedelta(days=days_idle))
    return response


def test_drafts_never_submitted_go_after_the_retention_period(settings):
    settings.DRAFT_RETENTION_DAYS = 30
    stale = _draft(days_idle=31, appointment_days_ago=20)
    recent = _draft(days_idle=29, appointment_days_ago=20)
    ahead = _draft(days_idle=40, appointment_days_ago=-10)  # its visit is still to come
    submitted = _draft(days_idle=60, appointment_days_ago=50)
    Response.objects.filter(pk=submitted.pk).update(
        status=ResponseStatus.SUBMITTED, submitted_at=timezone.now() - timedelta(days=60)
    )
    assert drafts_purge() == 1
    left = set(Response.objects.values_list("pk", flat=True))
    assert stale.pk not in left
    assert {recent.pk, ahead.pk, submitted.pk} <= left
    # Each deletion is in the audit trail (by the system).
    entry = LogEntry.objects.get(
        action=LogEntry.Action.DELETE, content_type__model="response", object_pk=str(stale.pk)
    )
    assert entry.actor is None


def test_the_retention_period_is_a_setting(settings):
    settings.DRAFT_RETENTION_DAYS = 5
    _draft(days_idle=6, appointment_days_ago=6)
    drafts_purge_task()
    assert not Response.objects.exists()


def test_beat_runs_the_purge_every_day():
    entry = django_settings.CELERY_BEAT_SCHEDULE["drafts-purge"]
    assert entry["task"] == "intake.responses.tasks.drafts_purge"
    assert str(entry["schedule"]) == "<crontab: 17 3 * * * (m/h/dM/MY/d)>"
