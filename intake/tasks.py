from celery import shared_task

from intake.services import drafts_purge as purge_drafts
from intake.services import handout_pdf_render, handouts_pdf_requeue


@shared_task(
    name="intake.tasks.handout_render_pdf",
    autoretry_for=(OSError,),
    retry_backoff=5,
    retry_kwargs={"max_retries": 5},
)
def handout_render_pdf(response_id: int) -> None:
    handout_pdf_render(response_id=response_id)


@shared_task(name="intake.tasks.drafts_purge", ignore_result=True)
def drafts_purge() -> None:
    """Retention: drafts never submitted (DRAFT_RETENTION_DAYS). Daily, from beat."""
    purge_drafts()


@shared_task(name="intake.tasks.handouts_pdf_sweep", ignore_result=True)
def handouts_pdf_sweep() -> None:
    """Every few minutes, from beat: PDFs whose job was lost (broker down at submit time)."""
    handouts_pdf_requeue()
