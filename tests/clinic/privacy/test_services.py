"""A patient's data rights: export (JSON and FHIR), anonymise, erase; each in the audit trail."""

import io
import json

import pytest
from auditlog.models import LogEntry
from django.core.files.base import ContentFile
from django.core.management import call_command
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from clinic.privacy.services import patient_anonymise
from clinic.records.models import Appointment, Patient
from clinic.review.models import Case, CaseEvent, CaseStatus
from clinic.review.services import case_note, case_resolve
from intake.links.models import PrevisitLink
from intake.links.services import link_issue
from intake.questionnaires.services import questionnaire_import
from intake.responses.models import IssuedHandout, Response
from tests.factories import AppointmentFactory, PatientFactory
from tests.intake.questionnaires.support import choice, make
from tests.security.support import submit_vignette

pytestmark = pytest.mark.django_db

WORDS = "my neighbour Margarethe says it is stress"


@pytest.fixture
def history(settings, tmp_path, clinician):
    """A patient with a flagged, noted visit (free text in the answers) and an open draft."""
    settings.MEDIA_ROOT = tmp_path
    call_command("sync_content", approve_as=clinician.username, stdout=io.StringIO())
    patient = PatientFactory(first_name="Greta", last_name="Lindqvist", phone="+15550109999")
    visit = AppointmentFactory(patient=patient, reason="Headaches since March")
    link_issue(appointment=visit)
    submit_vignette(visit, "V07", extra={"reason-words": WORDS, "medicines": "ibuprofen"})
    visit.response.handout.pdf.save("h.pdf", ContentFile(b"%PDF-1.4"), save=True)
    case = Case.objects.get(appointment=visit)
    case = case_note(
        case_id=case.pk, expected_version=case.version, clinician=clinician, note="Call Greta"
    )
    AppointmentFactory(patient=patient)  # a later visit, not started
    return patient, visit, case


def test_the_export_holds_everything_about_one_patient_with_fhir_responses(
    client, admin_user, history
):
    patient, visit, case = history
    client.force_login(admin_user)
    response = client.get(f"/dashboard/patients/{patient.pk}/export.json")
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="patient-{patient.pk}.json"'
    assert "no-store" in response["Cache-Control"]
    document = json.loads(response.content)
    assert document["patient"]["last_name"] == "Lindqvist"
    assert len(document["appointments"]) == 2
    first = document["appointments"][0]
    assert first["response"]["answers"]["reason-words"] == WORDS
    fhir = first["response"]["fhir_questionnaire_response"]
    QuestionnaireResponse.model_validate(fhir)  # valid FHIR R4
    assert fhir["status"] == "completed"
    assert WORDS in json.dumps(fhir)
    assert first["handout"]["title"]
    assert first["case"]["id"] == case.pk
    assert [e["action"] for e in first["case"]["events"]] == ["flagged", "note"]
    assert len(first["previsit_links"]) == 1
    assert "token_hash" not in json.dumps(document)
    # The export is in the audit trail.
    assert LogEntry.objects.filter(
        actor=admin_user,
        additional_data__what="export",
        additional_data__patients=f",{patient.pk},",
    ).exists()


def test_only_clinic_admins_export_or_erase(client, clinician, front_desk, history):
    patient, _, _ = history
    for user in (clinician, front_desk):
        client.force_login(user)
        assert client.get(f"/dashboard/patients/{patient.pk}/export.json").status_code == 403
        erase = client.post(f"/dashboard/patients/{patient.pk}/erase/", {"confirm": "yes"})
        assert erase.status_code == 403
    assert Patient.objects.filter(pk=patient.pk).exists()


def test_anonymising_removes_who_it_was_and_free_text_and_is_recorded(client, admin_user, history):
    patient, visit, case = history
    client.force_login(admin_user)
    page = client.get(f"/dashboard/patients/{patient.pk}/data/")
    assert page.status_code == 200
    unconfirmed = client.post(f"/dashboard/patients/{patient.pk}/anonymise/")
    assert unconfirmed.status_code == 302
    assert Patient.objects.get(pk=patient.pk).last_name == "Lindqvist"
    client.post(f"/dashboard/patients/{patient.pk}/anonymise/", {"confirm": "yes"})
    patient.refresh_from_db()
    assert (patient.first_name, patient.last_name) == ("Anonymised", f"Patient {patient.pk}")
    assert (patient.email, patient.phone) == ("", "")
    assert patient.date_of_birth.year == 1900
    answers = Response.objects.get(appointment=visit).answers
    assert "reason-words" not in answers and "medicines" not in answers
    assert answers  # the choices and scores stay
    assert Appointment.objects.get(pk=visit.pk).reason == ""
    assert CaseEvent.objects.get(case=case, action="note").note == "[removed]"
    assert not PrevisitLink.objects.filter(appointment=visit, revoked_at__isnull=True).exists()
    export = json.dumps(
        json.loads(client.get(f"/dashboard/patients/{patient.pk}/export.json").content)
    )
    for secret in ("Greta", "Lindqvist", "Margarethe", "ibuprofen", "Headaches", "+1555"):
        assert secret not in export
    assert LogEntry.objects.filter(
        actor=admin_user,
        action=LogEntry.Action.UPDATE,
        additional_data__what="anonymise",
        additional_data__patients=f",{patient.pk},",
    ).exists()


def test_erasing_deletes_the_patient_and_everything_about_them_and_is_recorded(
    client, admin_user, clinician, history, django_capture_on_commit_callbacks
):
    patient, visit, case = history
    case_resolve(
        case_id=case.pk,
        expected_version=case.version,
        clinician=clinician,
        disposition="contacted",
        note="",
    )
    pdf = visit.response.handout.pdf
    client.force_login(admin_user)
    with django_capture_on_commit_callbacks(execute=True):  # the PDF goes after the commit
        response = client.post(f"/dashboard/patients/{patient.pk}/erase/", {"confirm": "yes"})
    assert response["Location"] == "/admin/clinic/patient/"
    assert not Patient.objects.filter(pk=patient.pk).exists()
    assert not Appointment.objects.filter(patient_id=patient.pk).exists()
    assert not Response.objects.filter(appointment=visit).exists()
    assert not IssuedHandout.objects.filter(response__appointment=visit).exists()
    assert not Case.objects.filter(pk=case.pk).exists()
    assert not pdf.storage.exists(pdf.name)
    trail = LogEntry.objects.filter(additional_data__patients=f",{patient.pk},")
    assert trail.filter(action=LogEntry.Action.DELETE, additional_data__what="erase").exists()
    assert trail.filter(action=LogEntry.Action.DELETE, content_type__model="response").exists()
    # The trail names records by id, so after erasure it names no one.
    assert "Lindqvist" not in str(list(trail.values_list("object_repr", "changes")))


def test_erasing_is_refused_while_a_flagged_case_is_open(client, admin_user, history):
    patient, _, case = history
    assert case.status != CaseStatus.RESOLVED
    client.force_login(admin_user)
    response = client.post(
        f"/dashboard/patients/{patient.pk}/erase/", {"confirm": "yes"}, follow=True
    )
    assert "A clinician must resolve it" in response.content.decode()
    assert Patient.objects.filter(pk=patient.pk).exists()


def test_anonymising_removes_an_open_choice_answer_typed_in_the_patients_own_words():
    resource = make(
        {**choice("pet", ["cat", "dog"]), "type": "open-choice"},
        {**choice("food", ["rice", "bread"]), "type": "open-choice"},
        url="http://previsit.local/fhir/Questionnaire/open-choice-test",
    )
    questionnaire, _ = questionnaire_import(resource=resource, activate=False)
    patient = PatientFactory()
    response = Response.objects.create(
        appointment=AppointmentFactory(patient=patient),
        questionnaire=questionnaire,
        answers={"pet": "Margarethe's parrot", "food": "rice"},
    )
    patient_anonymise(patient=patient)
    response.refresh_from_db()
    assert response.answers == {"food": "rice"}
