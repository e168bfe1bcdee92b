"""The handout PDF is made by a real Celery worker after submission, never in the request."""

import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.core.management import call_command
from django.utils import timezone

from clinic.celery import app as celery_app
from intake.questionnaires.services import definition_for, questionnaire_default
from intake.responses.handouts import handout_pdf_document, handout_pdf_render
from intake.responses.models import IssuedHandout, Response
from tests.portal_support import page_posts
from tests.vignette_answers import VIGNETTES

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _wait_for_pdf(deadline_seconds=60):
    deadline = time.monotonic() + deadline_seconds
    while time.monotonic() < deadline:
        handout = IssuedHandout.objects.first()
        if handout is not None and handout.pdf:
            return handout
        time.sleep(0.2)
    raise AssertionError("the PDF was not made in time")


def test_pdf_is_rendered_by_the_worker_and_downloads_for_patient_and_clinician(
    client, patient, appointment, clinician, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    import io

    call_command("sync_content", approve_as=clinician.username, stdout=io.StringIO())
    from intake.links.services import link_issue

    _, token = link_issue(appointment=appointment)
    client.get(f"/p/{token}/")
    client.post("/p/verify/", {"date_of_birth": patient.date_of_birth.isoformat()})
    definition = definition_for(questionnaire_default())
    for page_id, data in page_posts(definition, VIGNETTES["V13"]["answers"]):
        client.post(f"/p/q/{page_id}/", {**data, "action": "next"})
    with celery_app.connection_for_write() as conn:  # no stale PDF jobs from other tests
        conn.default_channel.queue_purge("pdf")
    assert client.post("/p/review/")["Location"] == "/p/done/"
    # Before the worker runs, the page says the PDF is being prepared.
    assert b"being prepared" in client.get("/p/handout/pdf/status/").content
    assert client.get("/p/handout/pdf/").status_code == 404
    with start_worker(
        celery_app, pool="solo", perform_ping_check=False, queues=["pdf"], shutdown_timeout=15
    ):
        handout = _wait_for_pdf()
    assert handout.pdf_ready_at is not None
    status = client.get("/p/handout/pdf/status/")
    assert b"Download your guide" in status.content
    download = client.get("/p/handout/pdf/")
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content).startswith(b"%PDF")
    client.force_login(clinician)
    staff = client.get(f"/dashboard/appointments/{appointment.pk}/handout.pdf")
    assert staff.status_code == 200
    assert b"".join(staff.streaming_content).startswith(b"%PDF")


def _issued_handout(appointment) -> IssuedHandout:
    """A short issued handout for the appointment's response, as submitting would snapshot it."""
    response = Response.objects.create(
        appointment=appointment, questionnaire=questionnaire_default()
    )
    return IssuedHandout.objects.create(
        response=response,
        title="T",
        markdown="# T",
        html="<h1>T</h1><p>Hello.</p>",
        reading_grade=1.0,
        word_count=2,
    )


def test_rendering_twice_makes_one_pdf(patient, appointment, clinician, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    handout = _issued_handout(appointment)
    response = handout.response
    first = handout_pdf_render(response_id=response.pk)
    second = handout_pdf_render(response_id=response.pk)
    assert first.pdf.name == second.pdf.name
    assert len(list(tmp_path.rglob("*.pdf"))) == 1
    assert handout.pk == first.pk


def test_a_pdf_job_lost_while_the_broker_was_down_is_queued_again(
    patient, appointment, settings, tmp_path
):
    from datetime import timedelta

    from django.utils import timezone

    from intake.questionnaires.services import questionnaire_default
    from intake.responses.handouts import handouts_pdf_requeue
    from intake.responses.models import Response

    settings.MEDIA_ROOT = tmp_path
    response = Response.objects.create(
        appointment=appointment, questionnaire=questionnaire_default()
    )
    handout = IssuedHandout.objects.create(
        response=response,
        title="T",
        markdown="# T",
        html="<h1>T</h1><p>Hello.</p>",
        reading_grade=1.0,
        word_count=2,
    )
    IssuedHandout.objects.filter(pk=handout.pk).update(
        created_at=timezone.now() - timedelta(minutes=10)
    )
    with celery_app.connection_for_write() as conn:
        conn.default_channel.queue_purge("pdf")
    assert handouts_pdf_requeue() == 1
    with start_worker(
        celery_app, pool="solo", perform_ping_check=False, queues=["pdf"], shutdown_timeout=15
    ):
        assert _wait_for_pdf().pk == handout.pk


def test_the_pdf_says_whose_guide_it_is_for_which_visit_and_from_which_clinic(
    patient, appointment, clinician, settings
):
    settings.CLINIC_NAME, settings.CLINIC_PHONE = "Hillside Clinic", "(555) 010-0199"
    settings.CLINIC_ADDRESS = "2 Example Road"
    appointment.clinician = clinician
    appointment.save()
    document = handout_pdf_document(_issued_handout(appointment))
    starts = timezone.localtime(appointment.starts_at)
    assert f"For {patient.full_name}" in document
    assert starts.strftime("%B") in document and str(starts.year) in document
    assert "Hillside Clinic" in document and "2 Example Road" in document
    assert 'href="tel:5550100199"' in document and "(555) 010-0199" in document
