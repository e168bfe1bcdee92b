"""The project's own tasks: the heartbeat /healthz reads, and a ping for worker tests."""

from celery import shared_task
from django.core.cache import cache
from django.utils import timezone

HEARTBEAT_KEY = "previsit:worker-heartbeat"


@shared_task(name="clinic.tasks.heartbeat", ignore_result=True)
def heartbeat() -> None:
    """Beat's minute tick: records that beat and a worker are alive."""
    cache.set(HEARTBEAT_KEY, timezone.now().isoformat(), timeout=600)


@shared_task(name="clinic.tasks.ping", ignore_result=False)
def ping(value: str) -> str:
    return f"pong:{value}"
