"""The clinician dashboard: the review queue, the case page and its actions, the appointment board.

Views are thin: check access with the one helper per guarded thing, hand validated input to a
service, render.
"""

import json
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_POST, require_safe

from clinic import audit, notifications, privacy, selectors, services
from clinic.forms import (
    BellForm,
    CaseActionForm,
    NoteForm,
    QueueFilterForm,
    ReassignForm,
    ResolveForm,
)
from clinic.models import Appointment, Case, NotificationKind, Patient
from clinic.roles import Role, has_role
from intake.selectors import answer_sections, explain_evidence
from intake.services import definition_for, questionnaire_default


def _no_store(response):
    add_never_cache_headers(response)
    response["Cache-Control"] = "no-store, no-cache, must-revalidate, private, max-age=0"
    return response


def staff_view(*roles: Role):
    """Signed-in staff in one of `roles`; anyone else is sent to sign in or refused (403)."""

    def decorate(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not any(has_role(request.user, role) for role in roles):
                raise PermissionDenied
            return _no_store(view(request, *args, **kwargs))

        return wrapped

    return decorate


clinician_view = staff_view(Role.CLINICIAN)


def _get_case_for_clinician(request, case_id: int):
    """The one access rule for cases: clinicians only (checked by the decorator), 404 if absent."""
    if not has_role(request.user, Role.CLINICIAN):
        raise PermissionDenied
    case = selectors.case_detail(case_id=case_id)
    if case is None:
        raise Http404
    return case


def _get_appointment_for_clinician(request, appointment_id: int):
    if not has_role(request.user, Role.CLINICIAN):
        raise PermissionDenied
    appointment = (
        Appointment.objects.select_related(
            "patient", "clinician", "response__questionnaire", "response__handout", "case"
        )
        .filter(pk=appointment_id)
        .first()
    )
    if appointment is None or getattr(appointment, "response", None) is None:
        raise Http404
    if not appointment.response.is_submitted:
        raise Http404
    return appointment


@require_safe
@clinician_view
def queue(request):
    form = QueueFilterForm(request.GET or None)
    filters = selectors.QueueFilters()
    cursor = None
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        filters = selectors.QueueFilters(
            level=data["level"] or None,
            status=data["status"] or None,
            mine=data["mine"],
            day=data["day"],
            search=data["q"].strip(),
        )
        cursor = data["after"] or None
    try:
        page = selectors.case_queue(clinician=request.user, filters=filters, cursor=cursor)
    except ValueError as exc:
        form.add_error("after", str(exc))
        page = selectors.case_queue(clinician=request.user, filters=filters)
    now = timezone.now()
    rows = [{"case": case, "wait": selectors.wait_state(case, now=now)} for case in page.cases]
    audit.record_list(
        request,
        Case,
        what="review queue",
        patient_ids=[case.appointment.patient_id for case in page.cases],
    )
    context = {"form": form, "page": page, "rows": rows, "now": now}
    template = "clinic/partials/queue_table.html" if request.htmx else "clinic/queue.html"
    status = 400 if form.is_bound and form.errors else 200
    return render(request, template, context, status=status)


def _case_context(request, case, forms=None):
    appointment = case.appointment
    response = getattr(appointment, "response", None)
    forms = forms or {}
    context = {
        "case": case,
        "appointment": appointment,
        "patient": appointment.patient,
        "response": response,
        "events": selectors.case_events(case=case),
        "note_form": forms.get("note") or NoteForm(initial={"version": case.version}),
        "resolve_form": forms.get("resolve") or ResolveForm(initial={"version": case.version}),
        "reassign_form": forms.get("reassign") or ReassignForm(initial={"version": case.version}),
        "others_case": case.assigned_to_id not in (None, request.user.pk),
        "wait": selectors.wait_state(case),
        "case_notifications": list(
            case.notifications.select_related("recipient", "webhook").order_by("created_at", "id")
        ),
    }
    context.update(_answers_context(response, case.reasons))
    return context


def _answers_context(response, reasons=()):
    questionnaire = response.questionnaire if response else questionnaire_default()
    definition = definition_for(questionnaire)
    return {
        "sections": answer_sections(definition, response.answers) if response else [],
        "handout": getattr(response, "handout", None) if response else None,
        "reasons": [
            {**reason, "evidence_rows": explain_evidence(definition, reason.get("evidence"))}
            for reason in reasons
        ],
    }


@require_safe
@clinician_view
def case_detail(request, case_id: int):
    case = _get_case_for_clinician(request, case_id)
    audit.record_access(case, what="case page", patient_id=case.appointment.patient_id)
    return render(request, "clinic/case.html", _case_context(request, case))


ACTIONS = {
    "acknowledge": None,
    "note": NoteForm,
    "resolve": ResolveForm,
    "reassign": ReassignForm,
}


@require_POST
@clinician_view
def case_action(request, case_id: int, action: str):
    case = _get_case_for_clinician(request, case_id)
    if action not in ACTIONS:
        raise Http404
    form_class = ACTIONS[action] or CaseActionForm  # acknowledge: just the version
    form = form_class(request.POST)
    if not form.is_valid():
        messages.error(request, "The action was not saved. Please check the form below.")
        forms = {action: form} if action in ("note", "resolve", "reassign") else {}
        context = _case_context(request, case, forms)
        context["action_errors"] = form.errors
        return render(request, "clinic/case.html", context, status=400)
    data = form.cleaned_data
    others = case.assigned_to_id not in (None, request.user.pk)
    if others and not data.get("confirm") and action != "note":
        context = _case_context(request, case)
        context["confirm_action"] = action
        context["confirm_post"] = request.POST
        return render(request, "clinic/case_confirm.html", context, status=409)
    common = {"case_id": case.pk, "expected_version": data["version"], "clinician": request.user}
    try:
        if action == "acknowledge":
            services.case_acknowledge(**common)
            messages.success(request, "Case acknowledged. It is assigned to you.")
        elif action == "note":
            services.case_note(**common, note=data["note"])
            messages.success(request, "Note added.")
        elif action == "resolve":
            services.case_resolve(
                **common, disposition=data["disposition"], note=data["note"].strip()
            )
            messages.success(request, "Case resolved.")
        elif action == "reassign":
            services.case_reassign(**common, to=data["to"])
            messages.success(request, f"Case assigned to {data['to'].get_full_name()}.")
    except (services.CaseConflict, services.CaseActionRefused) as exc:
        messages.error(request, str(exc))
        return render(
            request,
            "clinic/case.html",
            _case_context(request, selectors.case_detail(case_id=case.pk)),
            status=409,
        )
    return redirect("clinic:case", case_id=case.pk)


@require_safe
@staff_view(Role.CLINICIAN, Role.FRONT_DESK)
def appointments(request):
    # Printable characters only: a NUL byte would reach PostgreSQL, which refuses it.
    search = "".join(ch for ch in request.GET.get("q", "")[:100] if ch.isprintable()).strip()
    rows = [
        {"appointment": a, "status": selectors.intake_status(a)}
        for a in selectors.appointments_board(day_from=timezone.localdate(), search=search)
    ]
    audit.record_list(
        request,
        Appointment,
        what="appointment board",
        patient_ids=[row["appointment"].patient_id for row in rows],
    )
    context = {
        "rows": rows,
        "q": search,
        "can_see_answers": has_role(request.user, Role.CLINICIAN),
    }
    return render(request, "clinic/appointments.html", context)


@require_safe
@clinician_view
def appointment_answers(request, appointment_id: int):
    appointment = _get_appointment_for_clinician(request, appointment_id)
    case = getattr(appointment, "case", None)
    if case is not None:
        return redirect("clinic:case", case_id=case.pk)
    audit.record_access(appointment.response, what="answers", patient_id=appointment.patient_id)
    context = {
        "appointment": appointment,
        "patient": appointment.patient,
        "response": appointment.response,
    }
    context.update(_answers_context(appointment.response))
    return render(request, "clinic/answers.html", context)


@require_safe
@clinician_view
def appointment_handout_pdf(request, appointment_id: int):
    appointment = _get_appointment_for_clinician(request, appointment_id)
    handout = getattr(appointment.response, "handout", None)
    if handout is None or not handout.pdf:
        raise Http404
    audit.record_access(handout, what="handout PDF", patient_id=appointment.patient_id)
    return FileResponse(
        handout.pdf.open("rb"),
        as_attachment=True,
        filename=f"handout-appointment-{appointment.pk}.pdf",
        content_type="application/pdf",
    )


# --- Notifications: the bell and the list -----------------------------------------------------

STAFF_ROLES = (Role.CLINICIAN, Role.FRONT_DESK, Role.CLINIC_ADMIN)


@require_safe
def notification_bell(request):
    """The bell's unread count, polled by htmx on every staff page.

    The page sends the count it shows; an unchanged count is a 204 (htmx leaves the page alone),
    a higher one also fills the screen-reader announcer. A session that ended reloads the page,
    which then asks to sign in, instead of swapping a login form into the navigation.
    """
    if not request.user.is_authenticated:
        if request.htmx:
            response = HttpResponse(status=204)
            response["HX-Refresh"] = "true"
            return _no_store(response)
        return redirect_to_login(request.get_full_path())
    if not any(has_role(request.user, role) for role in STAFF_ROLES):
        raise PermissionDenied
    form = BellForm(request.GET)
    if not form.is_valid():
        return _no_store(HttpResponseBadRequest("seen must be a whole number from 0"))
    seen = form.cleaned_data["seen"]
    unread = notifications.unread_count(user=request.user)
    if seen is not None and seen == unread and request.htmx:
        return _no_store(HttpResponse(status=204))
    context = {
        "unread": unread,
        "poll_seconds": settings.NOTIFICATION_BELL_POLL_SECONDS,
        "rose": seen is not None and unread > seen,
    }
    return _no_store(render(request, "clinic/partials/bell_update.html", context))


def _notification_url(request, notification) -> str | None:
    if notification.case_id and has_role(request.user, Role.CLINICIAN):
        return reverse("clinic:case", args=[notification.case_id])
    if notification.kind == NotificationKind.DELIVERY_FAILED and request.user.has_perm(
        "clinic.view_notification"
    ):
        return reverse("admin:clinic_notification_change", args=[notification.about_id])
    if notification.kind == NotificationKind.LINK_LOCKED and request.user.has_perm(
        "intake.view_previsitlink"
    ):
        return reverse("admin:intake_previsitlink_change", args=[notification.previsit_link_id])
    return None


@require_safe
@staff_view(*STAFF_ROLES)
def notification_list(request):
    """The signed-in user's latest notifications; the unread ones shown here become read."""
    latest = notifications.inbox(user=request.user)
    unread_ids = {n.pk for n in latest if n.read_at is None}
    notifications.notifications_mark_read(user=request.user, notification_ids=unread_ids)
    rows = [
        {
            "notification": n,
            "was_unread": n.pk in unread_ids,
            "url": _notification_url(request, n),
        }
        for n in latest
    ]
    return render(request, "clinic/notifications.html", {"rows": rows})


# --- Data rights: export, anonymise, erase (clinic admins) --------------------------------------

clinic_admin_view = staff_view(Role.CLINIC_ADMIN)


def _get_patient_for_clinic_admin(request, patient_id: int) -> Patient:
    if not has_role(request.user, Role.CLINIC_ADMIN):
        raise PermissionDenied
    return get_object_or_404(Patient, pk=patient_id)


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
    document = privacy.patient_export(patient=patient)
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
    if request.POST.get("confirm") != "yes":
        messages.error(request, "Tick the box to confirm, then choose Anonymise again.")
        return redirect("clinic:patient_data", patient_id=patient.pk)
    privacy.patient_anonymise(patient=patient)
    messages.success(request, f"Patient {patient.pk} was anonymised.")
    return redirect("clinic:patient_data", patient_id=patient.pk)


@require_POST
@clinic_admin_view
def patient_data_erase(request, patient_id: int):
    patient = _get_patient_for_clinic_admin(request, patient_id)
    if request.POST.get("confirm") != "yes":
        messages.error(request, "Tick the box to confirm, then choose Erase again.")
        return redirect("clinic:patient_data", patient_id=patient.pk)
    try:
        erasure = privacy.patient_erase(patient=patient)
    except privacy.ErasureRefused as exc:
        messages.error(request, str(exc))
        return redirect("clinic:patient_data", patient_id=patient.pk)
    messages.success(
        request,
        f"Patient {erasure.patient_id} and {erasure.appointments} appointment(s) were erased.",
    )
    return redirect("admin:clinic_patient_changelist")
