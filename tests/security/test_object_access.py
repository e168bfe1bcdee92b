"""A verified patient reaches their own answers and handout only, whatever id they try.

Portal URLs carry no ids at all: the session holds the one appointment the link and date of
birth opened. These tests put the other patient's ids everywhere an attacker could: in query
strings, in form fields, in the link slot and in the staff URLs.
"""

import io

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command

from intake.links.services import link_issue
from intake.questionnaires.services import definition_for, questionnaire_default
from intake.responses.models import Response
from intake.responses.services import response_open
from tests.factories import AppointmentFactory, PatientFactory
from tests.portal_support import page_posts
from tests.security.support import submit_vignette
from tests.vignette_answers import VIGNETTES

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_patients(settings, tmp_path, clinician):
    settings.MEDIA_ROOT = tmp_path
    call_command("sync_content", approve_as=clinician.username, stdout=io.StringIO())
    mine = AppointmentFactory(patient=PatientFactory(first_name="Mine", last_name="Own"))
    theirs = AppointmentFactory(patient=PatientFactory(first_name="Theirs", last_name="Else"))
    other = submit_vignette(theirs, "V13", extra={"reason-words": "their private words"})
    other.handout.pdf.save("theirs.pdf", ContentFile(b"%PDF-1.4 theirs"), save=True)
    response_open(appointment=mine)
    return mine, theirs


def _open(client, appointment):
    _, token = link_issue(appointment=appointment)
    client.get(f"/p/{token}/")
    answer = client.post(
        "/p/verify/", {"date_of_birth": appointment.patient.date_of_birth.isoformat()}
    )
    assert answer.status_code == 302
    return client


def _their_ids(theirs) -> dict:
    response = theirs.response
    return {
        "appointment": theirs.pk,
        "patient": theirs.patient_id,
        "response": response.pk,
        "handout": response.handout.pk,
        "id": response.pk,
        "pk": response.handout.pk,
    }


def test_their_ids_in_portal_query_strings_show_only_my_own_records(client, two_patients):
    mine, theirs = two_patients
    _open(client, mine)
    query = "&".join(f"{k}={v}" for k, v in _their_ids(theirs).items())
    for path in ("/p/start/", "/p/q/page-reason/", "/p/review/", "/p/done/", "/p/emergency/"):
        page = client.get(f"{path}?{query}", follow=True)
        body = page.content.decode()
        assert page.status_code == 200, path
        assert "Theirs" not in body and "their private words" not in body, path


def test_their_handout_pdf_is_a_404_for_me(client, two_patients):
    mine, theirs = two_patients
    _open(client, mine)
    query = "&".join(f"{k}={v}" for k, v in _their_ids(theirs).items())
    assert client.get(f"/p/handout/pdf/?{query}").status_code == 404
    status = client.get(f"/p/handout/pdf/status/?{query}")
    assert b"Download your guide" not in status.content


def test_their_ids_posted_in_a_form_are_refused_and_change_nothing(client, two_patients):
    mine, theirs = two_patients
    _open(client, mine)
    before = {a.pk: a.response.answers for a in (mine, theirs)}
    definition = definition_for(questionnaire_default())
    page_id, data = page_posts(definition, VIGNETTES["V13"]["answers"])[0]
    ids = {key: str(value) for key, value in _their_ids(theirs).items()}
    response = client.post(
        f"/p/q/{page_id}/",
        {**data, "action": "next", **ids, "answers": '{"reason-words": "overwritten"}'},
    )
    assert response.status_code == 400
    assert "These are not questions on this page" in response.content.decode()
    for appointment in (mine, theirs):
        assert Response.objects.get(appointment=appointment).answers == before[appointment.pk]


def test_their_ids_in_the_link_slot_open_nothing(client, two_patients):
    mine, theirs = two_patients
    for value in _their_ids(theirs).values():
        _open(client, mine)
        response = client.get(f"/p/{value}/")
        assert response["Location"] == "/p/verify/"
        # The guessed "link" replaced the session: nothing is reachable without a real link.
        assert client.post("/p/verify/", {"date_of_birth": "1984-03-14"}).status_code == 400
        assert client.get("/p/done/").status_code in (302, 403)


def test_their_ids_in_staff_urls_send_me_to_sign_in(client, two_patients):
    mine, theirs = two_patients
    _open(client, mine)
    for path in (
        f"/dashboard/appointments/{theirs.pk}/answers/",
        f"/dashboard/appointments/{theirs.pk}/handout.pdf",
        f"/dashboard/patients/{theirs.patient_id}/export.json",
        f"/admin/intake/response/{theirs.response.pk}/change/",
        f"/admin/intake/issuedhandout/{theirs.response.handout.pk}/change/",
    ):
        response = client.get(path)
        assert response.status_code == 302, path
        assert "/login/" in response["Location"], path  # the admin's hands on to the staff one


def test_staff_asking_for_a_record_that_is_not_there_get_404(client, clinician, two_patients):
    client.force_login(clinician)
    assert client.get("/dashboard/appointments/999999/answers/").status_code == 404
    assert client.get("/dashboard/appointments/999999/handout.pdf").status_code == 404
    assert client.get("/dashboard/cases/999999/").status_code == 404


def test_front_desk_is_refused_answers_and_handouts_for_any_id(client, front_desk, two_patients):
    _, theirs = two_patients
    client.force_login(front_desk)
    assert client.get(f"/dashboard/appointments/{theirs.pk}/answers/").status_code == 403
    assert client.get(f"/dashboard/appointments/{theirs.pk}/handout.pdf").status_code == 403
    assert client.get(f"/admin/intake/response/{theirs.response.pk}/change/").status_code == 403
