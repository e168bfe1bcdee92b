"""Celery tasks of the review room: thin."""

from celery import shared_task

from clinic.review import services


@shared_task(name="clinic.review.tasks.cases_escalate", ignore_result=True)
def cases_escalate() -> None:
    services.cases_escalate()
