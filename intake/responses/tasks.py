"""Celery tasks of the responses room: thin. Each takes an id, never health information."""

from celery import shared_task

from intake.responses import handouts, retention
from intake.responses.services import PDF_TASK


@shared_task(
    name=PDF_TASK,
    autoretry_for=(OSError,),
    retry_backoff=5,
    retry_kwargs={"max_retries": 5},
)
def handout_render_pdf(response_id: int) -> None:
    handouts.handout_pdf_render(response_id=response_id)


@shared_task(name="intake.responses.tasks.drafts_purge", ignore_result=True)
def drafts_purge() -> None:
    """Retention: drafts never submitted (DRAFT_RETENTION_DAYS). Daily, from beat."""
    retention.drafts_purge()


@shared_task(name="intake.responses.tasks.handouts_pdf_sweep", ignore_result=True)
def handouts_pdf_sweep() -> None:
    """Every few minutes, from beat: PDFs whose job was lost (broker down at submit time)."""
    handouts.handouts_pdf_requeue()
