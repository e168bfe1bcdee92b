from celery import shared_task

from intake.services import handout_pdf_render


@shared_task(
    name="intake.tasks.handout_render_pdf",
    autoretry_for=(OSError,),
    retry_backoff=5,
    retry_kwargs={"max_retries": 5},
)
def handout_render_pdf(response_id: int) -> None:
    handout_pdf_render(response_id=response_id)
