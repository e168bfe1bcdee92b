"""A patient's data rights: everything about one patient exported, anonymised or erased.

Each writes the audit trail: the changes and deletions through django-auditlog (every row is
saved or deleted one by one, so each gets its entry), plus one entry naming the request.
"""

from dataclasses import dataclass
from datetime import date

from auditlog.models import LogEntry
from django.db import transaction
from django.utils import timezone

from clinic.audit import patients_value
from clinic.models import Appointment, CaseStatus, Notification, Patient

ANONYMOUS_FIRST_NAME = "Anonymised"
# The earliest date the patient_birth_date_plausible constraint accepts.
ANONYMOUS_BIRTH_DATE = date(1900, 1, 2)
REMOVED = "[removed]"


def _iso(value):
    return value.isoformat() if value is not None else None


def _free_text_items(definition) -> set[str]:
    items = definition.items_by_id.values()
    return {item.link_id for item in items if item.type in ("string", "text")}


def _fhir(response, definition) -> dict:
    """The response as a FHIR R4 QuestionnaireResponse, checked by fhir.resources."""
    from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

    from intake.fhir import FhirError, answers_to_response

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
    from intake.services import definition_for

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


def _summary(patient_id: int, what: str, action, **detail) -> None:
    LogEntry.objects.create(
        content_type_id=_patient_content_type(),
        object_pk=str(patient_id),
        object_id=patient_id,
        object_repr=f"patient {patient_id}",
        action=action,
        additional_data={"what": what, "patients": patients_value([patient_id]), **detail},
    )


def _patient_content_type() -> int:
    from django.contrib.contenttypes.models import ContentType

    return ContentType.objects.get_for_model(Patient).pk


@transaction.atomic
def patient_anonymise(*, patient: Patient) -> Patient:
    """Keep the clinical record's shape, remove who it is about.

    Names, birth date and contact details are replaced; free-text answers, visit reasons and
    case notes are removed; live links are revoked and addresses on queued messages cleared.
    Choice answers, scores and triage stay: they identify no one and keep the clinic's numbers.
    """
    from intake.models import PrevisitLink, Response
    from intake.services import definition_for

    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    patient.first_name = ANONYMOUS_FIRST_NAME
    patient.last_name = f"Patient {patient.pk}"
    patient.date_of_birth = ANONYMOUS_BIRTH_DATE
    patient.email = ""
    patient.phone = ""
    patient.save()
    now = timezone.now()
    for appointment in Appointment.objects.filter(patient=patient):
        if appointment.reason:
            appointment.reason = ""
            appointment.save(update_fields=["reason"])
    for link in PrevisitLink.objects.filter(appointment__patient=patient, revoked_at__isnull=True):
        link.revoked_at = now
        link.save(update_fields=["revoked_at"])
    for response in Response.objects.filter(appointment__patient=patient).select_related(
        "questionnaire"
    ):
        free_text = _free_text_items(definition_for(response.questionnaire))
        kept = {k: v for k, v in response.answers.items() if k not in free_text}
        if kept != response.answers:
            response.answers = kept
            response.save(update_fields=["answers"])
    from clinic.models import CaseEvent

    for event in CaseEvent.objects.filter(case__appointment__patient=patient).exclude(note=""):
        event.note = REMOVED
        event.save(update_fields=["note"])
    Notification.objects.filter(appointment__patient=patient).exclude(address="").update(address="")
    _summary(patient.pk, "anonymise", LogEntry.Action.UPDATE)
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
    from intake.models import IssuedHandout

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
    _summary(patient_id, "erase", LogEntry.Action.DELETE, appointments=len(appointments))
    return Erasure(patient_id=patient_id, appointments=len(appointments))
