"""The audit trail: who saw or changed which patient's information, when, and from where.

This module is how entries get written without anyone asking: the models registered with
django-auditlog, and every entry annotated with its patients and patient link.
clinic/audit/services.py records accesses; clinic/audit/selectors.py reads the trail.

django-auditlog writes one `LogEntry` per change of a registered model (values of health data
masked) and per access we record. Every entry says:

- who: the staff user (`actor`), or "patient link <id>" for a patient's own session, or
  "system" (a Celery task, a management command);
- what: the model and object, the action (create, update, delete, access) and, for accesses,
  `additional_data["what"]` (case page, answers, handout PDF, export, list...);
- when: `timestamp`; from where: `remote_addr`, taken by `clinic.http.client_ip`;
- which patients: `additional_data["patients"]`, a string such as ",12,40," so the admin can
  filter by patient on PostgreSQL and SQLite alike.

Append-only: the admin offers no add, change or delete, not even to a superuser, and on
PostgreSQL a trigger refuses UPDATE and DELETE on the table (migration clinic 0005).
"""

from collections.abc import Iterable
from contextvars import ContextVar

from auditlog.middleware import AuditlogMiddleware
from auditlog.models import LogEntry
from auditlog.registry import auditlog
from auditlog.signals import pre_log
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db.models.signals import pre_save

from clinic.http import client_ip

HIDDEN = "[hidden]"
SESSION_LINK = "pv_link"  # the patient's verified PrevisitLink id (set by the portal)

_request: ContextVar = ContextVar("previsit_audit_request", default=None)
_instance: ContextVar = ContextVar("previsit_audit_instance", default=None)


def mask(value) -> str:
    """Every masked value reads the same: the entry says a field changed, never to what."""
    return HIDDEN


# --- What is registered ---------------------------------------------------------------------

HEALTH_MODELS = {
    # model label: auditlog.register() options
    "clinic.Patient": {
        "mask_fields": ["first_name", "last_name", "date_of_birth", "email", "phone"]
    },
    "clinic.Appointment": {"mask_fields": ["reason"]},
    "clinic.Case": {"mask_fields": ["reasons"]},
    "clinic.CaseEvent": {"mask_fields": ["note", "detail"]},
    "intake.Response": {"mask_fields": ["answers", "scores", "triage_reasons", "pages_done"]},
    "intake.IssuedHandout": {"mask_fields": ["markdown", "html", "blocks"]},
    "intake.PrevisitLink": {"exclude_fields": ["token_hash"]},
    "advice.ContentVersion": {"exclude_fields": ["body"]},
    # Staff accounts: who may see what. Logins are in axes' AccessLog.
    "auth.User": {"exclude_fields": ["password", "last_login"], "m2m_fields": {"groups"}},
    # Second-factor devices: enrolled, replaced, reset. Not their keys or counters.
    "otp_totp.TOTPDevice": {"include_fields": ["user", "name", "confirmed"]},
    "otp_static.StaticDevice": {"include_fields": ["user", "name", "confirmed"]},
}


def register_models() -> None:
    """Called once, from ClinicConfig.ready(): every model holding health information is
    audited, and every entry names its patients."""
    for label, options in HEALTH_MODELS.items():
        model = apps.get_model(label)
        if auditlog.contains(model):
            continue
        options = dict(options)
        if "include_fields" not in options:
            # Only the row's own columns. Left to itself, django-auditlog also reads reverse
            # one-to-one relations (appointment.response, user.staff_profile) on creation,
            # and Django then remembers "none" for them on that instance.
            skip = set(options.get("exclude_fields", ()))
            options["include_fields"] = [
                f.name for f in model._meta.concrete_fields if f.name not in skip
            ]
        auditlog.register(model, **options)
    pre_log.connect(_remember_instance, dispatch_uid="previsit.audit.instance")
    pre_save.connect(_annotate, sender=LogEntry, dispatch_uid="previsit.audit.annotate")


# --- Which patient an object belongs to -------------------------------------------------------


def patient_id_of(obj) -> int | None:
    """The patient a record is about, following the foreign keys (no query for loaded ones)."""
    label = obj._meta.label
    if label == "clinic.Patient":
        return obj.pk
    if label == "clinic.Appointment":
        return obj.patient_id
    if label in ("clinic.Case", "intake.Response", "intake.PrevisitLink"):
        return _appointment_patient(obj)
    if label == "clinic.CaseEvent":
        return _appointment_patient(obj.case) if obj.case_id else None
    if label == "intake.IssuedHandout":
        return _appointment_patient(obj.response) if obj.response_id else None
    if label == "intake.LinkAttempt":
        return _appointment_patient(obj.link) if obj.link_id else None
    return None


def _appointment_patient(obj) -> int | None:
    if not obj.appointment_id:
        return None
    cached = obj._state.fields_cache.get("appointment")
    if cached is not None:
        return cached.patient_id
    # Only the patient's id, read through the object's own foreign key.
    appointments = type(obj)._meta.get_field("appointment").related_model.objects
    return appointments.filter(pk=obj.appointment_id).values_list("patient_id", flat=True).first()


def patients_value(patient_ids: Iterable[int | None]) -> str:
    ids = sorted({int(i) for i in patient_ids if i is not None})
    return f",{','.join(map(str, ids))}," if ids else ""


# --- Who, from where ----------------------------------------------------------------------------


class AuditContextMiddleware(AuditlogMiddleware):
    """django-auditlog's middleware, with the client address from our one safe helper.

    (Its own reads X-Forwarded-For whoever wrote it.) It also keeps the request at hand, so an
    entry written for a patient's session names the patient link.
    """

    @staticmethod
    def _get_remote_addr(request):
        return client_ip(request)

    @staticmethod
    def _get_remote_port(request):
        return None

    def __call__(self, request):
        token = _request.set(request)
        try:
            return super().__call__(request)
        finally:
            _request.reset(token)


def _remember_instance(sender, instance, action, **kwargs):
    _instance.set(instance)


def record_name(obj) -> str:
    """How an entry names a record: its kind and id, never a patient's name (minimum necessary;
    an erased patient's entries then name no one)."""
    return f"{obj._meta.verbose_name} {obj.pk}"


def _annotate(sender, instance, **kwargs):
    """Fill in the patients and the patient link of every entry, however it was written."""
    data = dict(instance.additional_data or {})
    about = _instance.get()
    if (
        about is not None
        and str(instance.object_pk) == str(about.pk)
        and instance.content_type_id == ContentType.objects.get_for_model(about).pk
    ):
        instance.object_repr = record_name(about)
        data.setdefault("patients", patients_value([patient_id_of(about)]))
    request = _request.get()
    if request is not None and instance.actor_id is None and "patient_link" not in data:
        session = getattr(request, "session", None)
        link_id = session.get(SESSION_LINK) if session is not None else None
        if link_id is not None:
            data["patient_link"] = link_id
    instance.additional_data = data or None
