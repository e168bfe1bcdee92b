from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import override_settings
from django.utils import timezone

from clinic.celery import app as celery_app
from clinic.notifications.models import Notification
from clinic.review.services import case_acknowledge
from clinic.staff.roles import Role
from clinic.tasks import HEARTBEAT_KEY, heartbeat
from tests.factories import UserFactory
from tests.notifications_support import email_of, flag, on_duty

pytestmark = pytest.mark.django_db


def test_healthz_reports_database_and_broker_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "database": "ok",
        "broker": "ok",
        "worker": "unknown: no heartbeat yet",
    }
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_healthz_names_the_broker_when_it_is_down(client, monkeypatch):
    # A real connection attempt to a closed port, not a patched function.
    monkeypatch.setattr(celery_app.conf, "broker_url", "redis://127.0.0.1:1/0")
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["database"] == "ok"
    assert body["broker"].startswith("down")


def test_healthz_rejects_writes(client):
    assert client.post("/healthz").status_code == 405


@override_settings(ALLOWED_HOSTS=["testserver"])
def test_home_page_tells_patients_to_use_their_link(client):
    response = client.get("/")
    assert response.status_code == 200
    assert b"open the link the clinic sent you" in response.content


def test_healthz_reports_the_workers_heartbeat_without_failing_on_it(client):
    heartbeat()  # what beat runs every minute, through a worker
    assert client.get("/healthz").json()["worker"] == "ok"
    stale = timezone.now() - timedelta(minutes=10)
    cache.set(HEARTBEAT_KEY, stale.isoformat())
    response = client.get("/healthz")
    assert response.status_code == 200, "a late worker doesn't take the web server out"
    assert response.json()["worker"] == "late: last heartbeat 10 minutes ago"


# --- /healthz/delivery and the banner: alerts that have not gone out -----------------------------


def _late_flag(clinician, minutes):

    on_duty(clinician)
    case = flag()  # an emergency: its target is 15 minutes
    row = email_of(case, clinician)
    Notification.objects.filter(pk=row.pk).update(
        created_at=timezone.now() - timedelta(minutes=minutes), attempts=3, last_error="451"
    )
    return case


def test_healthz_delivery_is_ok_with_nothing_waiting(client):
    response = client.get("/healthz/delivery")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "waiting_alerts": 0,
        "late_cases": 0,
        "oldest_waiting_minutes": None,
    }


def test_an_alert_waiting_inside_its_target_is_reported_but_not_late(client, clinician):
    _late_flag(clinician, minutes=5)
    body = client.get("/healthz/delivery").json()
    assert (body["status"], body["waiting_alerts"], body["late_cases"]) == ("ok", 1, 0)
    assert body["oldest_waiting_minutes"] == 5


def test_an_emergency_alert_undelivered_past_15_minutes_fails_the_check_and_shows_a_banner(
    client, clinician, admin_user
):
    case = _late_flag(clinician, minutes=16)
    response = client.get("/healthz/delivery")
    assert response.status_code == 503
    assert response.json()["late_cases"] == 1
    client.force_login(clinician)
    page = client.get("/dashboard/").content.decode()
    assert 'id="delivery-banner"' in page and "Alerts are not getting through" in page
    # Acknowledged, the case is in hand: no banner, the check passes again.

    case_acknowledge(case_id=case.pk, expected_version=case.version, clinician=clinician)
    assert client.get("/healthz/delivery").status_code == 200
    assert 'id="delivery-banner"' not in client.get("/dashboard/").content.decode()


def test_the_banner_is_for_clinicians_and_admins_not_front_desk(client, clinician):

    _late_flag(clinician, minutes=30)
    desk = UserFactory(username="desk", role=Role.FRONT_DESK.value)
    client.force_login(desk)
    page = client.get("/dashboard/appointments/").content.decode()
    assert 'id="delivery-banner"' not in page


def test_a_clinic_admin_sees_the_banner_in_the_admin(client, clinician):

    _late_flag(clinician, minutes=30)
    boss = UserFactory(username="admin-role", role=Role.CLINIC_ADMIN.value, is_staff=True)
    client.force_login(boss)
    page = client.get("/admin/").content.decode()
    assert 'id="delivery-banner"' in page
