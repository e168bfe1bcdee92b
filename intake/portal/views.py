"""The patient portal. Views check access, hand validated input to a service, and render."""

import json
import time

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_safe

from clinic.audit import services as audit
from clinic.audit.trail import SESSION_LINK
from clinic.http import client_ip, no_store
from clinic.records.models import Appointment
from clinic.staff.sessions import SESSION_STARTED
from intake.links.models import PrevisitLink
from intake.links.services import VerifyOutcome, link_verify, token_hash
from intake.portal.forms import PageForm, VerifyForm
from intake.questionnaires.services import definition_for
from intake.responses.models import Response
from intake.responses.selectors import answer_sections
from intake.responses.services import response_open, response_save_page, response_submit

SESSION_TOKEN = "pv_token_digest"  # noqa: S105 (a session key, not a secret)
SESSION_APPOINTMENT = "pv_appointment"
SESSION_SEEN = "pv_last_seen"
# How many times the thank-you page asks whether the PDF is ready (every 2 s) before it stops.
PDF_POLLS = 30
# SESSION_LINK (clinic.audit.trail) holds the verified link's id: "who" in the audit trail.

GENERIC_FAILURE = (
    "We couldn't confirm your details. Check the date and try again, or call the clinic."
)
LOCKED_FAILURE = (
    "Too many tries. For your safety this link is paused for a while. "
    "Please try again later or call the clinic."
)


class PatientSessionExpired(Exception):
    pass


def _private(response):
    """Health information: never cached, never indexed, no referrer leaves for another site.

    `same-origin`, not `no-referrer`: under `no-referrer` browsers send `Origin: null` with a
    form post, which the CSRF origin check rightly refuses. The one URL worth hiding (the link
    with its token) answers with `no-referrer` in `link_open`.
    """
    no_store(response)
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "same-origin"
    return response


def _get_response_for_patient(request, *, activity: bool = True) -> Response:
    """The one response this browser session may see, or PatientSessionExpired."""
    appointment_id = request.session.get(SESSION_APPOINTMENT)
    seen = request.session.get(SESSION_SEEN, 0)
    idle_limit = settings.PATIENT_IDLE_MINUTES * 60
    if not appointment_id or time.time() - seen > idle_limit:
        request.session.pop(SESSION_APPOINTMENT, None)
        raise PatientSessionExpired
    link_ok = PrevisitLink.objects.usable().filter(
        appointment_id=appointment_id, token_hash=request.session.get(SESSION_TOKEN, "")
    )
    if not link_ok.exists():
        request.session.pop(SESSION_APPOINTMENT, None)
        raise PatientSessionExpired
    if activity:  # what the page polls by itself is not the patient doing something
        request.session[SESSION_SEEN] = time.time()
    response = (
        Response.objects.filter(appointment_id=appointment_id)
        .select_related("appointment__patient", "questionnaire")
        .defer("questionnaire__definition")  # 140 kB of JSON; definition_for() caches it parsed
        .first()
    )
    if response is None:
        response = response_open(appointment=Appointment.objects.get(pk=appointment_id))
    return response


def patient_view(view=None, *, activity: bool = True):
    """A page of the verified patient's own. `activity=False` for what the page asks for by
    itself (the PDF status poll): it must not keep an idle session alive on a shared phone."""
    if view is None:
        return lambda inner: patient_view(inner, activity=activity)

    def wrapped(request, *args, **kwargs):
        try:
            response = _get_response_for_patient(request, activity=activity)
        except PatientSessionExpired:
            if request.session.get(SESSION_TOKEN):
                messages.info(request, "For your privacy, please confirm your date of birth again.")
                return _private(redirect("portal:verify"))
            return _private(render(request, "intake/no_link.html", status=403))
        if response.appointment.patient.age < settings.PATIENT_MINIMUM_AGE:
            return _private(
                render(
                    request,
                    "intake/too_young.html",
                    {"minimum_age": settings.PATIENT_MINIMUM_AGE},
                )
            )
        return _private(view(request, response, *args, **kwargs))

    wrapped.__name__ = view.__name__
    return wrapped


@require_http_methods(["GET", "HEAD", "POST"])
def link_open(request, token: str):
    """Keep the token out of the address bar: remember its hash, go to a clean URL.

    A patient's session and a staff sign-in never share a browser session. A signed-in staff
    member who follows a patient link (from an email, say) is asked first, rather than signed
    out by surprise; continuing is a POST from that page (CSRF-checked).
    """
    if len(token) > 100:
        raise Http404
    if request.user.is_authenticated and request.method != "POST":
        return _private(render(request, "intake/link_signed_in.html"))
    request.session.flush()
    request.session[SESSION_TOKEN] = token_hash(token)
    response = _private(redirect("portal:verify"))
    response["Referrer-Policy"] = "no-referrer"
    return response


@require_http_methods(["GET", "POST"])
def verify(request):
    digest = request.session.get(SESSION_TOKEN)
    if not digest:
        return _private(render(request, "intake/no_link.html", status=403))
    form = VerifyForm(request.POST or None)
    error = None
    if request.method == "POST" and form.is_valid():
        outcome, link = link_verify(
            token_digest=digest,
            date_of_birth=form.cleaned_data["born"],
            ip=client_ip(request),
        )
        if outcome == VerifyOutcome.OK:
            request.session.cycle_key()
            request.session[SESSION_APPOINTMENT] = link.appointment_id
            request.session[SESSION_LINK] = link.pk
            request.session[SESSION_SEEN] = time.time()
            request.session[SESSION_STARTED] = time.time()
            return _private(redirect("portal:resume"))
        error = (
            LOCKED_FAILURE
            if outcome in (VerifyOutcome.LOCKED, VerifyOutcome.RATE_LIMITED)
            else GENERIC_FAILURE
        )
    status = 400 if request.method == "POST" and (error or form.errors) else 200
    return _private(
        render(request, "intake/verify.html", {"form": form, "error": error}, status=status)
    )


@require_safe
@patient_view
def resume(request, response):
    if response.is_submitted:
        return redirect("portal:done")
    definition = definition_for(response.questionnaire)
    page = definition.first_unanswered_page(response.answers, seen=response.pages_done)
    if page is None:
        return redirect("portal:review")
    return redirect("portal:page", page_id=page.link_id)


def _visible(definition, answers) -> list[str]:
    return [page.link_id for page in definition.visible_pages(answers)]


@require_http_methods(["GET", "POST"])
@patient_view
def page(request, response, page_id: str):
    if response.is_submitted:
        return redirect("portal:done")
    definition = definition_for(response.questionnaire)
    if page_id not in {page.link_id for page in definition.pages}:
        raise Http404
    pages = _visible(definition, response.answers)
    if page_id not in pages:
        return redirect("portal:resume")
    # Reached with "Change" from the review page: Next goes back there (through any page the
    # change brought up that still needs answers).
    from_review = (request.POST or request.GET).get("from") == "review"
    form = PageForm(
        request.POST or None, definition=definition, page_id=page_id, answers=response.answers
    )
    if request.method == "POST":
        if form.is_valid():
            saved = response_save_page(response=response, page_id=page_id, raw=form.raw_data())
            if saved.emergency:
                return redirect("portal:emergency")
            if saved.ok:
                if request.POST.get("action") == "back":
                    return redirect(_neighbour(definition, response, page_id, -1))
                if from_review:
                    return redirect(_back_to_review(definition, response))
                return redirect(_neighbour(definition, response, page_id, +1))
            for key, message in saved.errors.items():
                form.add_answer_error(key, message)
        elif request.POST.get("action") == "back" and not form.has_changed():
            return redirect(_neighbour(definition, response, page_id, -1))
    progress = definition.page_progress(page_id, form.answers_for_display())
    audit.record_access(response, what="answers (portal page)")
    steps = progress.total + 1  # the review page is the last step
    context = {
        "form": form,
        "answers_json": _answers_for_script(definition, response.answers, page_id),
        "page": definition.items_by_id[page_id],
        "step": progress.number,
        "steps": steps,
        "progress": round(100 * progress.number / steps),
        "first": progress.number == 1,
        "from_review": from_review,
        "visit": response.appointment,
    }
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "intake/page.html", context, status=status)


def _answers_for_script(definition, answers, page_id) -> str:
    """Earlier pages' answers that this page's conditions read, and the calculated totals."""
    known = {**answers, **definition.compute_totals(answers)}
    wanted = {
        condition.question
        for item in definition.page(page_id).walk()
        for condition in item.enable_when
    } - definition.page_item_ids(page_id)
    return json.dumps({key: known[key] for key in sorted(wanted) if key in known})


def _back_to_review(definition, response) -> str:
    """The review page, or first the next page the patient hasn't saved or must still answer."""
    response.refresh_from_db(fields=["answers", "pages_done"])
    incomplete = set(definition.incomplete_pages(response.answers))
    for page_id in _visible(definition, response.answers):
        if page_id not in response.pages_done or page_id in incomplete:
            return reverse("portal:page", args=[page_id]) + "?from=review"
    return reverse("portal:review")


def _neighbour(definition, response, page_id, direction):
    response.refresh_from_db(fields=["answers"])
    pages = _visible(definition, response.answers)
    if page_id not in pages:
        return reverse("portal:resume")
    index = pages.index(page_id) + direction
    if index < 0:
        return reverse("portal:page", args=[pages[0]])
    if index >= len(pages):
        return reverse("portal:review")
    return reverse("portal:page", args=[pages[index]])


@require_http_methods(["GET", "POST"])
@patient_view
def review(request, response):
    if response.is_submitted:
        return redirect("portal:done")
    definition = definition_for(response.questionnaire)
    missing = ()
    if request.method == "POST":
        submission = response_submit(response=response)
        if submission.missing_pages:
            missing = submission.missing_pages
        else:
            return redirect("portal:done")
    sections = answer_sections(definition, response.answers, for_patient=True)
    pages = _visible(definition, response.answers)
    audit.record_access(response, what="answers (portal review)")
    context = {
        "sections": sections,
        "missing": [definition.items_by_id[p] for p in missing],
        "step": len(pages) + 1,
        "steps": len(pages) + 1,
        "progress": 100,
        "visit": response.appointment,
    }
    return render(request, "intake/review.html", context, status=400 if missing else 200)


@require_safe
@patient_view
def emergency(request, response):
    return render(
        request,
        "intake/emergency.html",
        {"reasons": response.triage_reasons, "crisis_line": _crisis_line(response)},
    )


def _crisis_line(response) -> bool:
    """Whether a red flag that fired tells the patient to call the crisis line (the content
    decides: its instruction names {crisis_line})."""
    return any(reason.get("crisis_line") for reason in response.triage_reasons)


@require_safe
@patient_view
def done(request, response):
    if not response.is_submitted:
        return redirect("portal:resume")
    handout = getattr(response, "handout", None)
    if handout is not None:
        audit.record_access(handout, what="handout (portal)")
    return render(
        request,
        "intake/done.html",
        {"response": response, "handout": handout, "crisis_line": _crisis_line(response)},
    )


@require_safe
@patient_view(activity=False)
def handout_pdf_status(request, response):
    """Polled every 2 s by the thank-you page while the PDF is made, at most PDF_POLLS times
    (about a minute): then the page asks the patient to reload instead of polling for ever."""
    handout = getattr(response, "handout", None)
    try:
        polls = min(max(int(request.GET.get("n", "0")), 0), PDF_POLLS)
    except ValueError:
        polls = 0
    context = {"handout": handout, "next_poll": polls + 1, "stop_polling": polls >= PDF_POLLS}
    return render(request, "intake/partials/pdf_status.html", context)


@require_safe
@patient_view
def handout_pdf(request, response):
    handout = getattr(response, "handout", None)
    if handout is None or not handout.pdf:
        raise Http404
    audit.record_access(handout, what="handout PDF (portal)")
    return FileResponse(
        handout.pdf.open("rb"),
        as_attachment=True,
        filename="your-handout.pdf",
        content_type="application/pdf",
    )
