from celery import shared_task
from django.core.cache import cache
from django.utils import timezone


@shared_task(name="clinic.tasks.heartbeat", ignore_result=True)
def heartbeat() -> None:
    """Beat's minute tick: records that beat and a worker are alive (read by /healthz)."""
    cache.set("previsit:worker-heartbeat", timezone.now().isoformat(), timeout=600)


@shared_task(name="clinic.tasks.ping", ignore_result=False)
def ping(value: str) -> str:
    return f"pong:{value}"
