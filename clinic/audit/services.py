"""Writing the audit trail on purpose: a record seen, a list of patients shown, a patient's
data exported or removed. Who and from where come from the request (AuditContextMiddleware).
"""

import hashlib
from collections.abc import Iterable

from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType

from clinic.audit.trail import patient_id_of, patients_value, record_name

_LIST_DIGESTS = "audit_list_digests"


def record_access(obj, *, what: str, patient_id: int | None = None) -> LogEntry:
    """One view of one record: a case page, the answers, a handout, a PDF, an export.

    Who and from where come from the request (AuditContextMiddleware).
    """
    patient = patient_id if patient_id is not None else patient_id_of(obj)
    return LogEntry.objects.log_create(
        obj,
        force_log=True,
        action=LogEntry.Action.ACCESS,
        changes=None,
        object_repr=record_name(obj),
        additional_data={"what": what, "patients": patients_value([patient])},
    )


def record_list(request, model, *, what: str, patient_ids: Iterable[int | None]) -> None:
    """A list that shows patients (the queue, the appointment board, an admin changelist).

    One entry per list shown, naming every patient on it. An automatic refresh (htmx polling)
    that shows the same patients as the last one recorded in this session writes nothing.
    """
    patients = patients_value(patient_ids)
    if not patients:
        return
    digest = hashlib.sha256(f"{what}|{patients}".encode()).hexdigest()[:16]
    seen = request.session.get(_LIST_DIGESTS, {})
    if getattr(request, "htmx", False) and seen.get(what) == digest:
        return
    request.session[_LIST_DIGESTS] = {**seen, what: digest}
    shown = patients.strip(",").count(",") + 1
    LogEntry.objects.create(
        content_type=ContentType.objects.get_for_model(model),
        object_pk="",
        object_repr=f"{what} ({shown} patient{'s' if shown != 1 else ''})",
        action=LogEntry.Action.ACCESS,
        additional_data={"what": what, "patients": patients},
    )


def record_patient_action(
    *, patient_model, patient_id: int, what: str, action, **detail
) -> LogEntry:
    """One entry naming a request made about a whole patient (an anonymisation, an erasure).

    `patient_model` is the model class, passed in: the entry outlives an erased row.
    """
    return LogEntry.objects.create(
        content_type=ContentType.objects.get_for_model(patient_model),
        object_pk=str(patient_id),
        object_id=patient_id,
        object_repr=f"patient {patient_id}",
        action=action,
        additional_data={"what": what, "patients": patients_value([patient_id]), **detail},
    )


def record_trail_export(*, query: str) -> LogEntry:
    """Exporting the trail is itself recorded, with the filters it was exported under."""
    return LogEntry.objects.create(
        content_type=ContentType.objects.get_for_model(LogEntry),
        object_pk="",
        object_repr="audit trail export",
        action=LogEntry.Action.ACCESS,
        additional_data={"what": "audit export", "query": query[:500]},
    )
