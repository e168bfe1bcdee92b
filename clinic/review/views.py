"""The clinician dashboard: the review queue, the case page and its actions, the appointment board.

Views are thin: check access with the one helper per guarded thing, hand validated input to a
service, render.
"""

from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from clinic.audit import services as audit
from clinic.records.models import Appointment
from clinic.review import selectors, services
from clinic.review.forms import (
    BoardSearchForm,
    CaseActionForm,
    NoteForm,
    QueueFilterForm,
    ReassignForm,
    ResolveForm,
)
from clinic.review.models import Case, CaseStatus
from clinic.staff.access import require_role, staff_view
from clinic.staff.roles import Role, has_role
from intake.questionnaires.services import definition_for, questionnaire_default
from intake.responses.selectors import answer_sections, explain_evidence, previsit_summary

clinician_view = staff_view(Role.CLINICIAN)


def _get_case_for_clinician(request, case_id: int) -> Case:
    """The one access rule for cases: clinicians only, 404 if absent."""
    require_role(request, Role.CLINICIAN)
    case = selectors.case_detail(case_id=case_id)
    if case is None:
        raise Http404
    return case


def _get_appointment_for_clinician(request, appointment_id: int) -> Appointment:
    """The one access rule for a submitted response's answers: clinicians only, 404 otherwise."""
    require_role(request, Role.CLINICIAN)
    appointment = selectors.appointment_answers(appointment_id=appointment_id)
    if appointment is None:
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
    context = {
        "form": form,
        "page": page,
        "rows": rows,
        "now": now,
        "resolved": filters.status == CaseStatus.RESOLVED,
        "filtered": filters != selectors.QueueFilters(),
    }
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
        "others_case": case.is_someone_elses(request.user),
        "wait": selectors.wait_state(case),
        "case_notifications": selectors.case_notifications(case=case),
    }
    context.update(_answers_context(response, case.reasons))
    return context


def _answers_context(response, reasons=()):
    questionnaire = response.questionnaire if response else questionnaire_default()
    definition = definition_for(questionnaire)
    return {
        "previsit": previsit_summary(definition, response) if response else None,
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
    "acknowledge": CaseActionForm,  # just the version
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
    form = ACTIONS[action](request.POST)
    if not form.is_valid():
        messages.error(request, "The action was not saved. Please check the form below.")
        forms = {action: form} if action in ("note", "resolve", "reassign") else {}
        context = _case_context(request, case, forms)
        context["action_errors"] = form.errors
        return render(request, "clinic/case.html", context, status=400)
    data = form.cleaned_data
    if case.is_someone_elses(request.user) and not data.get("confirm") and action != "note":
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
    return redirect("review:case", case_id=case.pk)


@require_safe
@staff_view(Role.CLINICIAN, Role.FRONT_DESK)
def appointments(request):
    form = BoardSearchForm(request.GET)
    search = form.cleaned_data["q"] if form.is_valid() else ""
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
        return redirect("review:case", case_id=case.pk)
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
