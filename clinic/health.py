"""Readiness checks for /healthz: is the database answering, is the broker reachable."""

from django.db import connection

from clinic.celery import app as celery_app


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
