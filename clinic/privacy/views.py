"""A patient's data rights in the staff pages: see, export, anonymise, erase (clinic admins)."""

import json

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST, require_safe

from clinic.audit import services as audit
from clinic.privacy import services
from clinic.records.models import Appointment, Patient
from clinic.staff.access import require_role, staff_view
from clinic.staff.roles import Role

clinic_admin_view = staff_view(Role.CLINIC_ADMIN)


def _get_patient_for_clinic_admin(request, patient_id: int) -> Patient:
    require_role(request, Role.CLINIC_ADMIN)
    return get_object_or_404(Patient, pk=patient_id)


def _confirmed(request, patient: Patient, action: str) -> bool:
    if request.POST.get("confirm") == "yes":
        return True
    messages.error(request, f"Tick the box to confirm, then choose {action} again.")
    return False


@require_safe
@clinic_admin_view
def patient_data(request, patient_id: int):
    """What the clinic holds about one patient, with the export and erasure buttons."""
    patient = _get_patient_for_clinic_admin(request, patient_id)
    appointments = (
        Appointment.objects.filter(patient=patient)
        .select_related("response", "case")
        .order_by("starts_at")
    )
    audit.record_access(patient, what="patient data page")
    return render(
        request, "clinic/patient_data.html", {"patient": patient, "appointments": appointments}
    )


@require_safe
@clinic_admin_view
def patient_data_export(request, patient_id: int):
    patient = _get_patient_for_clinic_admin(request, patient_id)
    document = services.patient_export(patient=patient)
    audit.record_access(patient, what="export")
    response = HttpResponse(
        json.dumps(document, indent=2, ensure_ascii=False),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="patient-{patient.pk}.json"'
    return response


@require_POST
@clinic_admin_view
def patient_data_anonymise(request, patient_id: int):
    patient = _get_patient_for_clinic_admin(request, patient_id)
    if _confirmed(request, patient, "Anonymise"):
        services.patient_anonymise(patient=patient)
        messages.success(request, f"Patient {patient.pk} was anonymised.")
    return redirect("privacy:patient_data", patient_id=patient.pk)


@require_POST
@clinic_admin_view
def patient_data_erase(request, patient_id: int):
    patient = _get_patient_for_clinic_admin(request, patient_id)
    if not _confirmed(request, patient, "Erase"):
        return redirect("privacy:patient_data", patient_id=patient.pk)
    try:
        erasure = services.patient_erase(patient=patient)
    except services.ErasureRefused as exc:
        messages.error(request, str(exc))
        return redirect("privacy:patient_data", patient_id=patient.pk)
    messages.success(
        request,
        f"Patient {erasure.patient_id} and {erasure.appointments} appointment(s) were erased.",
    )
    return redirect("admin:clinic_patient_changelist")
