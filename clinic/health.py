"""Readiness checks for /healthz: is the database answering, is the broker reachable."""

from datetime import datetime, timedelta

from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from clinic.celery import app as celery_app
from clinic.tasks import HEARTBEAT_KEY

# Beat ticks every minute; three missed ticks is "late".
HEARTBEAT_LATE = timedelta(minutes=3)


def database_status() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means "down"; the type is reported
        return f"down: {type(exc).__name__}"
    return "ok"


def broker_status() -> str:
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception as exc:  # kombu raises many types; all mean the broker is unreachable
        return f"down: {type(exc).__name__}"
    return "ok"


def worker_status() -> str:
    """When beat and a worker last ran the heartbeat task: "ok", "late: ..." or "unknown"."""
    try:
        beat = cache.get(HEARTBEAT_KEY)
    except Exception as exc:  # the cache backend's errors: the answer is "unknown", not a 500
        return f"unknown: {type(exc).__name__}"
    if not beat:
        return "unknown: no heartbeat yet"
    waited = timezone.now() - datetime.fromisoformat(beat)
    if waited > HEARTBEAT_LATE:
        return f"late: last heartbeat {int(waited.total_seconds() // 60)} minutes ago"
    return "ok"
