"""A patient's data rights: everything about one patient exported, anonymised or erased.

Each writes the audit trail: the changes and deletions through django-auditlog (every row is
saved or deleted one by one, so each gets its entry), plus one entry naming the request.
"""

from dataclasses import dataclass
from datetime import date

from auditlog.models import LogEntry
from django.db import transaction
from django.utils import timezone
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from clinic.audit.services import record_patient_action
from clinic.notifications.models import Notification
from clinic.records.models import Appointment, Patient
from clinic.review.models import CaseEvent, CaseStatus
from intake.links.services import links_revoke
from intake.questionnaires.fhir import FhirError, answers_to_response
from intake.questionnaires.services import definition_for
from intake.responses.models import IssuedHandout, Response

ANONYMOUS_FIRST_NAME = "Anonymised"
# The earliest date the patient_birth_date_plausible constraint accepts.
ANONYMOUS_BIRTH_DATE = date(1900, 1, 2)
REMOVED = "[removed]"


def _iso(value):
    return value.isoformat() if value is not None else None


def _fhir(response, definition) -> dict:
    """The response as a FHIR R4 QuestionnaireResponse, checked by fhir.resources."""
    authored = response.submitted_at or response.updated_at
    try:
        resource = answers_to_response(
            response.answers,
            definition,
            status="completed" if response.is_submitted else "in-progress",
            authored=authored,
        )
    except FhirError as exc:
        return {"error": f"these answers can't be expressed as FHIR: {exc}"}
    QuestionnaireResponse.model_validate(resource)
    return resource


def patient_export(*, patient: Patient) -> dict:
    """Everything Previsit holds about one patient, as one JSON-ready document."""
    appointments = (
        Appointment.objects.filter(patient=patient)
        .select_related("clinician", "response__questionnaire", "response__handout", "case")
        .prefetch_related("previsit_links", "case__events__actor")
        .order_by("starts_at", "pk")
    )
    document = {
        "exported_at": timezone.now().isoformat(),
        "patient": {
            "id": patient.pk,
            "first_name": patient.first_name,
            "last_name": patient.last_name,
            "date_of_birth": patient.date_of_birth.isoformat(),
            "email": patient.email,
            "phone": patient.phone,
            "preferred_language": patient.preferred_language,
            "created_at": _iso(patient.created_at),
        },
        "appointments": [],
    }
    for appointment in appointments:
        entry = {
            "id": appointment.pk,
            "starts_at": _iso(appointment.starts_at),
            "reason": appointment.reason,
            "status": appointment.status,
            "clinician": appointment.clinician.get_full_name() if appointment.clinician else None,
            "previsit_links": [
                {
                    "id": link.pk,
                    "created_at": _iso(link.created_at),
                    "expires_at": _iso(link.expires_at),
                    "revoked_at": _iso(link.revoked_at),
                    "last_verified_at": _iso(link.last_verified_at),
                }
                for link in appointment.previsit_links.all()
            ],
            "response": None,
            "handout": None,
            "case": None,
        }
        response = getattr(appointment, "response", None)
        if response is not None:
            definition = definition_for(response.questionnaire)
            entry["response"] = {
                "id": response.pk,
                "questionnaire": response.questionnaire.canonical,
                "status": response.status,
                "started_at": _iso(response.started_at),
                "submitted_at": _iso(response.submitted_at),
                "answers": response.answers,
                "scores": response.scores,
                "triage_level": response.triage_level,
                "triage_reasons": response.triage_reasons,
                "fhir_questionnaire_response": _fhir(response, definition),
            }
            handout = getattr(response, "handout", None)
            if handout is not None:
                entry["handout"] = {
                    "id": handout.pk,
                    "title": handout.title,
                    "topics": handout.topics,
                    "markdown": handout.markdown,
                    "content_versions": handout.content_versions,
                    "reading_grade": handout.reading_grade,
                    "created_at": _iso(handout.created_at),
                    "pdf_ready_at": _iso(handout.pdf_ready_at),
                }
        case = getattr(appointment, "case", None)
        if case is not None:
            entry["case"] = {
                "id": case.pk,
                "level": case.level,
                "status": case.status,
                "reasons": case.reasons,
                "flagged_at": _iso(case.flagged_at),
                "acknowledged_at": _iso(case.acknowledged_at),
                "resolved_at": _iso(case.resolved_at),
                "disposition": case.disposition,
                "events": [
                    {
                        "action": event.action,
                        "at": _iso(event.at),
                        "by": event.actor.get_username() if event.actor else None,
                        "note": event.note,
                    }
                    for event in case.events.all()
                ],
            }
        document["appointments"].append(entry)
    return document


@transaction.atomic
def patient_anonymise(*, patient: Patient) -> Patient:
    """Keep the clinical record's shape, remove who it is about.

    Names, birth date and contact details are replaced; free-text answers, visit reasons and
    case notes are removed; live links are revoked and addresses on queued messages cleared.
    Choice answers, scores and triage stay: they identify no one and keep the clinic's numbers.
    """
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    patient.first_name = ANONYMOUS_FIRST_NAME
    patient.last_name = f"Patient {patient.pk}"
    patient.date_of_birth = ANONYMOUS_BIRTH_DATE
    patient.email = ""
    patient.phone = ""
    patient.save()
    for appointment in Appointment.objects.filter(patient=patient):
        if appointment.reason:
            appointment.reason = ""
            appointment.save(update_fields=["reason"])
    links_revoke(appointments=Appointment.objects.filter(patient=patient))
    for response in Response.objects.filter(appointment__patient=patient).select_related(
        "questionnaire"
    ):
        own_words = definition_for(response.questionnaire).own_words(response.answers)
        kept = {k: v for k, v in response.answers.items() if k not in own_words}
        if kept != response.answers:
            response.answers = kept
            response.save(update_fields=["answers"])
    for event in CaseEvent.objects.filter(case__appointment__patient=patient).exclude(note=""):
        event.note = REMOVED
        event.save(update_fields=["note"])
    Notification.objects.filter(appointment__patient=patient).exclude(address="").update(address="")
    record_patient_action(
        patient_model=Patient,
        patient_id=patient.pk,
        what="anonymise",
        action=LogEntry.Action.UPDATE,
    )
    return patient


class ErasureRefused(Exception):
    pass


@dataclass(frozen=True)
class Erasure:
    patient_id: int
    appointments: int


@transaction.atomic
def patient_erase(*, patient: Patient) -> Erasure:
    """Delete the patient and everything about them, one row at a time (each one audited).

    Refused while a flagged case is open: a clinician must close it first, so an erasure never
    hides an emergency nobody has dealt with. The audit trail stays (it names records by id).
    """
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    open_cases = Appointment.objects.filter(patient=patient, case__isnull=False).exclude(
        case__status=CaseStatus.RESOLVED
    )
    if open_cases.exists():
        raise ErasureRefused(
            "This patient has an open flagged case. A clinician must resolve it before the "
            "patient's data can be erased."
        )
    pdfs = [
        handout.pdf
        for handout in IssuedHandout.objects.filter(response__appointment__patient=patient)
        if handout.pdf
    ]
    # Files go only once the rows have: a rolled-back erasure leaves everything in place.
    transaction.on_commit(lambda: [pdf.storage.delete(pdf.name) for pdf in pdfs])
    appointments = list(Appointment.objects.filter(patient=patient))
    for appointment in appointments:
        appointment.delete()  # responses, handouts, links, attempts, cases, events go with it
    patient_id = patient.pk
    patient.delete()
    record_patient_action(
        patient_model=Patient,
        patient_id=patient_id,
        what="erase",
        action=LogEntry.Action.DELETE,
        appointments=len(appointments),
    )
    return Erasure(patient_id=patient_id, appointments=len(appointments))
