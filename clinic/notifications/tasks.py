"""Celery tasks of the outbox: thin. Each takes ids (never health information), calls a service."""

from celery import shared_task

from clinic.notifications import delivery, outbox, sweep


@shared_task(bind=True, name=outbox.DELIVER_TASK, max_retries=None)
def notification_deliver(self, notification_id: int) -> str:
    """Deliver one notification. Safe to run any number of times: only a claim sends.

    The retry delay comes from the row (exponential, with jitter); a retry that can't be queued
    leaves the row PENDING for the sweep.
    """
    result = delivery.notification_deliver(notification_id=notification_id)
    if result.retry_in is not None:
        raise self.retry(countdown=result.retry_in)
    return result.outcome


@shared_task(name="clinic.notifications.tasks.notifications_sweep", ignore_result=True)
def notifications_sweep() -> None:
    sweep.notifications_sweep()
