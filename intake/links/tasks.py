"""Celery tasks of the links room: thin."""

from celery import shared_task

from intake.links import reminders


@shared_task(name="intake.links.tasks.appointment_reminders", ignore_result=True)
def appointment_reminders() -> None:
    reminders.appointment_reminders_send()
