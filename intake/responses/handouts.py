"""The handout's PDF: rendered by a worker after submission, and re-queued if its job was lost."""

from datetime import timedelta

from django.core.files.base import ContentFile
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from advice.pdf import html_to_pdf
from clinic.celery import task_named
from clinic.context_processors import clinic
from clinic.records.models import Appointment
from intake.responses.models import IssuedHandout
from intake.responses.services import PDF_TASK

PDF_SWEEP_AFTER = timedelta(minutes=2)
PDF_SWEEP_WITHIN = timedelta(days=2)


def handouts_pdf_requeue(*, now=None) -> int:
    """Queue again every handout whose PDF is missing a while after submission.

    The PDF job is enqueued after commit; if the broker was down then, the job never existed.
    The handout row is the record of the work, so beat re-queues from it (rendering twice is
    harmless: `handout_pdf_render` makes one file).
    """
    now = now or timezone.now()
    waiting = IssuedHandout.objects.filter(
        pdf="", created_at__lt=now - PDF_SWEEP_AFTER, created_at__gt=now - PDF_SWEEP_WITHIN
    ).values_list("response_id", flat=True)
    count = 0
    for response_id in waiting[:500]:
        task_named(PDF_TASK).delay_on_commit(response_id)
        count += 1
    return count


def handout_pdf_document(handout: IssuedHandout) -> str:
    """The PDF's HTML: the issued handout under whose it is, the visit, and the clinic."""
    visit = Appointment.objects.select_related("patient", "clinician").get(
        response__pk=handout.response_id
    )
    return render_to_string(
        "intake/handout_pdf.html", {"handout": handout, "visit": visit, **clinic(None)}
    )


def handout_pdf_render(*, response_id: int) -> IssuedHandout | None:
    """Render the snapshotted handout to PDF once; a second run finds it done."""
    handout = IssuedHandout.objects.filter(response_id=response_id).first()
    if handout is None or handout.pdf:
        return handout
    pdf_bytes = html_to_pdf(handout_pdf_document(handout))
    with transaction.atomic():
        locked = IssuedHandout.objects.select_for_update().get(pk=handout.pk)
        if locked.pdf:
            return locked
        locked.pdf.save(f"handout-{locked.pk}.pdf", ContentFile(pdf_bytes), save=False)
        locked.pdf_ready_at = timezone.now()
        locked.save(update_fields=["pdf", "pdf_ready_at"])
    return locked
