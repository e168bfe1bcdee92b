"""Celery tasks: thin. Each takes ids (never health information), loads rows, calls a service."""

from celery import shared_task
from django.core.cache import cache
from django.utils import timezone

from clinic import notifications, services


@shared_task(name="clinic.tasks.heartbeat", ignore_result=True)
def heartbeat() -> None:
    """Beat's minute tick: records that beat and a worker are alive (read by /healthz)."""
    cache.set("previsit:worker-heartbeat", timezone.now().isoformat(), timeout=600)


@shared_task(name="clinic.tasks.ping", ignore_result=False)
def ping(value: str) -> str:
    return f"pong:{value}"


@shared_task(bind=True, name="clinic.tasks.notification_deliver", max_retries=None)
def notification_deliver(self, notification_id: int) -> str:
    """Deliver one notification. Safe to run any number of times: only a claim sends.

    The retry delay comes from the row (exponential, with jitter); a retry that can't be queued
    leaves the row PENDING for the sweep.
    """
    delivery = notifications.notification_deliver(notification_id=notification_id)
    if delivery.retry_in is not None:
        raise self.retry(countdown=delivery.retry_in)
    return delivery.outcome


@shared_task(name="clinic.tasks.notifications_sweep", ignore_result=True)
def notifications_sweep() -> None:
    notifications.notifications_sweep()


@shared_task(name="clinic.tasks.cases_escalate", ignore_result=True)
def cases_escalate() -> None:
    services.cases_escalate()


@shared_task(name="clinic.tasks.appointment_reminders", ignore_result=True)
def appointment_reminders() -> None:
    notifications.appointment_reminders_send()
