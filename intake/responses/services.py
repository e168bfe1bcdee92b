"""Writes on the patient's side: a response opened, its pages saved as drafts, and submitted.

Views, management commands and the benchmark all call these, so each rule is written once.
"""

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from advice.levels import TriageLevel
from clinic.celery import task_named
from clinic.records.models import Appointment
from intake.questionnaires.items import NON_FIELD_ERRORS
from intake.questionnaires.services import definition_by_id, questionnaire_default
from intake.responses import flagging
from intake.responses.evaluation import evaluate_answers, triage_answers
from intake.responses.models import IssuedHandout, Response, ResponseStatus

# Published by name: intake/responses/tasks.py imports this module's neighbours to do the work.
PDF_TASK = "intake.responses.tasks.handout_render_pdf"


@transaction.atomic
def response_open(*, appointment: Appointment) -> Response:
    """The appointment's one response, created on first use (never a duplicate)."""
    response, _ = Response.objects.get_or_create(
        appointment=appointment, defaults={"questionnaire": questionnaire_default()}
    )
    return response


@dataclass(frozen=True)
class PageSave:
    ok: bool
    errors: dict
    # Show the emergency screen now: this page's answers met an emergency not shown before.
    emergency: bool = False


def _age(appointment: Appointment) -> int | None:
    return appointment.patient.age_on(timezone.localdate(appointment.starts_at))


def _locked(response: Response) -> Response:
    return (
        Response.objects.select_for_update()
        .select_related("appointment__patient")
        .get(pk=response.pk)
    )


@transaction.atomic
def response_save_page(*, response: Response, page_id: str, raw: dict) -> PageSave:
    """Validate and store one page as a draft. Nothing is stored from a page with errors.

    When the answers so far meet an emergency rule, the case is flagged at once, before the
    questionnaire is finished.
    """
    locked = _locked(response)
    if locked.is_submitted:
        return PageSave(ok=False, errors={NON_FIELD_ERRORS: "These answers were already sent."})
    definition = definition_by_id(locked.questionnaire_id)
    cleaned, errors = definition.clean_page(page_id, raw, locked.answers)
    if errors:
        return PageSave(ok=False, errors=errors)
    locked.answers = definition.with_page(locked.answers, page_id, cleaned)
    if page_id not in locked.pages_done:
        locked.pages_done = [*locked.pages_done, page_id]
    locked.updated_at = timezone.now()
    result = triage_answers(
        definition=definition, answers=locked.answers, age=_age(locked.appointment)
    )
    emergency = result.level == TriageLevel.EMERGENCY
    # The emergency screen is shown when an emergency is first met, and again only for a new
    # one: a patient who read it and chose to finish is not sent back to it by every page.
    already_shown = {
        reason["rule_id"]
        for reason in locked.triage_reasons or []
        if reason.get("level") == TriageLevel.EMERGENCY
    }
    news = {r.rule_id for r in result.reasons if r.level is TriageLevel.EMERGENCY} - already_shown
    if emergency:
        flagging.flag(appointment=locked.appointment, level=result.level, reasons=result.reasons)
        locked.triage_level = result.level
        locked.triage_reasons = [reason.to_dict() for reason in result.reasons]
        if locked.emergency_shown_at is None:
            locked.emergency_shown_at = locked.updated_at
    locked.save()
    response.refresh_from_db()
    return PageSave(ok=True, errors={}, emergency=bool(news))


@dataclass(frozen=True)
class Submission:
    response: Response
    created: bool  # False when the response had already been submitted (a double click)
    missing_pages: tuple[str, ...] = ()


@transaction.atomic
def response_submit(*, response: Response) -> Submission:
    """Submit once: evaluate, triage, snapshot the handout, flag. Repeats change nothing."""
    locked = _locked(response)
    if locked.is_submitted:
        return Submission(response=locked, created=False)
    definition = definition_by_id(locked.questionnaire_id)
    missing = tuple(definition.incomplete_pages(locked.answers))
    if missing:
        return Submission(response=locked, created=False, missing_pages=missing)
    evaluation = evaluate_answers(
        definition=definition, answers=locked.answers, age=_age(locked.appointment)
    )
    now = timezone.now()
    locked.status = ResponseStatus.SUBMITTED
    locked.submitted_at = now
    locked.updated_at = now
    locked.scores = evaluation.scores
    locked.triage_level = evaluation.triage.level
    locked.triage_reasons = [reason.to_dict() for reason in evaluation.triage.reasons]
    locked.save()
    handout = evaluation.handout
    if handout is not None:
        IssuedHandout.objects.create(
            response=locked,
            title=handout.title,
            topics=list(handout.topics),
            markdown=handout.markdown,
            html=handout.html,
            blocks=handout.to_dict()["blocks"],
            content_versions=evaluation.content_versions,
            rules_fired=list(handout.rules_fired),
            reading_grade=handout.reading_grade,
            word_count=handout.word_count,
        )
    flagging.flag(
        appointment=locked.appointment,
        level=evaluation.triage.level,
        reasons=evaluation.triage.reasons,
    )
    if handout is not None:
        task_named(PDF_TASK).delay_on_commit(locked.pk)
    return Submission(response=locked, created=True)
