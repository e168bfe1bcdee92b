from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import override_settings
from django.utils import timezone

from clinic.celery import app as celery_app
from clinic.tasks import HEARTBEAT_KEY, heartbeat

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
