"""Celery tasks of the links room: thin."""

from celery import shared_task

from intake.links import notices, reminders


@shared_task(name="intake.links.tasks.appointment_reminders", ignore_result=True)
def appointment_reminders() -> None:
    reminders.appointment_reminders_send()


@shared_task(name="intake.links.tasks.link_locks_notify", ignore_result=True)
def link_locks_notify() -> None:
    notices.link_locks_notify()
