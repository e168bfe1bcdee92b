"""Writes on the patient's side: links, the identity check, drafts and submission.

Views, the admin, management commands and tasks all call these, so each rule is written once.
"""

import base64
import hashlib
import hmac
import json
import logging
import secrets
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from redis.exceptions import RedisError

import advice
from advice.context import HandoutContext
from advice.services import approved_library, packaged_library
from clinic.models import Appointment
from clinic.notifications import notify_link_locked
from clinic.services import case_flag
from intake.fhir import validate_questionnaire
from intake.models import (
    IssuedHandout,
    LinkAttempt,
    PrevisitLink,
    Questionnaire,
    QuestionnaireStatus,
    Response,
    ResponseStatus,
    TriageLevel,
)
from intake.questionnaire import Definition
from intake.scoring import score_all

logger = logging.getLogger(__name__)
# What the cache raises when Redis is unreachable (the file cache raises OSError).
CACHE_ERRORS = (OSError, RedisError)

DEFAULT_QUESTIONNAIRE = Path(__file__).resolve().parent / "questionnaires" / "general-previsit.json"
DEFAULT_NAME = "general-previsit"


# --- Questionnaires -------------------------------------------------------------------------

_definitions: dict[int, Definition] = {}


def definition_for(questionnaire: Questionnaire) -> Definition:
    """The parsed definition; a stored version never changes, so parsing once is enough."""
    found = _definitions.get(questionnaire.pk)
    if found is None:
        found = Definition.from_fhir(questionnaire.definition)
        _definitions[questionnaire.pk] = found
    return found


def _definition_of(response: Response) -> Definition:
    """The response's definition without loading its questionnaire row (140 kB) once cached."""
    found = _definitions.get(response.questionnaire_id)
    return found if found is not None else definition_for(response.questionnaire)


def _name_for(resource: dict) -> str:
    return resource["url"].rstrip("/").rsplit("/", 1)[-1]


@transaction.atomic
def questionnaire_import(*, resource: dict, activate: bool = True) -> tuple[Questionnaire, bool]:
    """Store a FHIR Questionnaire. Returns (row, created).

    The same url and version with the same content is a no-op. The same version with other
    content is refused once anyone has answered it; a new version becomes the active one.
    """
    validate_questionnaire(resource)
    Definition.from_fhir(resource)  # our own checks: enableWhen targets, options, sums
    url, version = resource["url"], str(resource.get("version", "1"))
    existing = Questionnaire.objects.select_for_update().filter(url=url, version=version).first()
    if existing is not None:
        if existing.definition == resource:
            return existing, False
        if existing.responses.exists():
            raise ValueError(
                f"version {version} of {url} has been answered and can't change; "
                "give the changed questionnaire a new version"
            )
        existing.definition = resource
        existing.title = resource.get("title", existing.title)
        existing.save(update_fields=["definition", "title"])
        _definitions.pop(existing.pk, None)
        return existing, False
    name = _name_for(resource)
    latest = Questionnaire.objects.filter(name=name).order_by("-version_number").first()
    row = Questionnaire.objects.create(
        name=name,
        url=url,
        version=version,
        version_number=(latest.version_number + 1) if latest else 1,
        title=resource.get("title") or name,
        status=QuestionnaireStatus.ACTIVE if activate else QuestionnaireStatus.DRAFT,
        definition=resource,
    )
    if activate:
        Questionnaire.objects.filter(name=name, status=QuestionnaireStatus.ACTIVE).exclude(
            pk=row.pk
        ).update(status=QuestionnaireStatus.RETIRED)
    return row, True


def questionnaire_default() -> Questionnaire:
    """The active general questionnaire, loading the shipped one if the database has none."""
    current = Questionnaire.objects.current(DEFAULT_NAME)
    if current is None:
        resource = json.loads(DEFAULT_QUESTIONNAIRE.read_text(encoding="utf-8"))
        current, _ = questionnaire_import(resource=resource)
    return current


# --- Links ----------------------------------------------------------------------------------


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def demo_token(appointment_id: int) -> str:
    """A token derived from SECRET_KEY, so `seed_demo` can print the same link on every run."""
    digest = hmac.new(
        settings.SECRET_KEY.encode(), f"demo-link:{appointment_id}".encode(), hashlib.sha256
    ).digest()
    return base64.urlsafe_b64encode(digest[:24]).decode().rstrip("=")


def link_path(token: str) -> str:
    return f"/p/{token}/"


@transaction.atomic
def link_issue(
    *, appointment: Appointment, by=None, token: str | None = None
) -> tuple[PrevisitLink, str]:
    """Make a new link for the appointment, revoking any live one. Returns (link, token).

    The token (192 random bits) is returned once and never stored: only its hash is.
    """
    now = timezone.now()
    live = PrevisitLink.objects.select_for_update().filter(
        appointment=appointment, revoked_at__isnull=True
    )
    for old in live:  # one at a time, so each revocation is in the audit trail
        old.revoked_at = now
        old.save(update_fields=["revoked_at"])
    token = token or secrets.token_urlsafe(24)
    link = PrevisitLink.objects.create(
        appointment=appointment,
        token_hash=token_hash(token),
        created_by=by,
        expires_at=appointment.starts_at + settings.PREVISIT_LINK_VALID_AFTER,
    )
    return link, token


@transaction.atomic
def link_revoke(*, link: PrevisitLink) -> PrevisitLink:
    locked = PrevisitLink.objects.select_for_update().get(pk=link.pk)
    if locked.revoked_at is None:
        locked.revoked_at = timezone.now()
        locked.save(update_fields=["revoked_at"])  # saved, not updated: the audit trail sees it
    link.refresh_from_db()
    return link


def link_find(*, token_digest: str) -> PrevisitLink | None:
    return (
        PrevisitLink.objects.select_related("appointment__patient")
        .filter(token_hash=token_digest)
        .first()
    )


class VerifyOutcome:
    OK = "ok"
    WRONG = "wrong"  # wrong date, or a link that doesn't exist, expired or was revoked
    LOCKED = "locked"
    RATE_LIMITED = "rate_limited"


def _rate_limited(ip: str | None) -> bool:
    """At most N checks an hour from one address, counted in the shared cache.

    If the cache (Redis) is down, the check is skipped rather than locking every patient out:
    the per-link failure count, kept in the database, still locks a link after a few tries.
    """
    key = f"previsit:verify-ip:{ip or 'unknown'}"
    try:
        cache.add(key, 0, timeout=3600)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=3600)
            count = 1
    except CACHE_ERRORS as exc:
        logger.warning("verify rate limit skipped: cache unavailable (%s)", type(exc).__name__)
        return False
    return count > settings.PREVISIT_VERIFY_PER_IP_PER_HOUR


@transaction.atomic
def link_verify(
    *, token_digest: str, date_of_birth: date, ip: str | None
) -> tuple[str, PrevisitLink | None]:
    """Check the date of birth for a link. The outcome never tells a bad link from a bad date."""
    if _rate_limited(ip):
        LinkAttempt.objects.create(link=None, ip_address=ip, succeeded=False, outcome="rate")
        return VerifyOutcome.RATE_LIMITED, None
    now = timezone.now()
    link = (
        PrevisitLink.objects.select_for_update()
        .select_related("appointment__patient")
        .filter(token_hash=token_digest)
        .first()
    )
    expected = link.appointment.patient.date_of_birth.isoformat() if link else "0000-00-00"
    matches = hmac.compare_digest(expected.encode(), date_of_birth.isoformat().encode())
    if link is None or link.is_revoked or link.expires_at <= now:
        LinkAttempt.objects.create(link=link, ip_address=ip, succeeded=False, outcome="bad-link")
        return VerifyOutcome.WRONG, None
    if link.is_locked(now):
        LinkAttempt.objects.create(link=link, ip_address=ip, succeeded=False, outcome="locked")
        return VerifyOutcome.LOCKED, None
    if not matches:
        link.failed_attempts += 1
        outcome = "wrong-date"
        if link.failed_attempts >= settings.PREVISIT_MAX_DOB_FAILURES:
            link.locked_until = now + timedelta(minutes=settings.PREVISIT_LOCK_MINUTES)
            link.failed_attempts = 0
            outcome = "locked-now"
        link.save(update_fields=["failed_attempts", "locked_until"])
        LinkAttempt.objects.create(link=link, ip_address=ip, succeeded=False, outcome=outcome)
        if outcome == "locked-now":
            # Someone may be guessing: the clinic admins hear of it, in this transaction.
            notify_link_locked(link=link)
            return VerifyOutcome.LOCKED, None
        return VerifyOutcome.WRONG, None
    link.failed_attempts = 0
    link.locked_until = None
    link.last_verified_at = now
    link.save(update_fields=["failed_attempts", "locked_until", "last_verified_at"])
    LinkAttempt.objects.create(link=link, ip_address=ip, succeeded=True, outcome="ok")
    return VerifyOutcome.OK, link


# --- Responses ------------------------------------------------------------------------------


def render_context() -> HandoutContext:
    return HandoutContext(
        clinic_name=settings.CLINIC_NAME,
        emergency_number=settings.EMERGENCY_NUMBER,
        crisis_line=settings.CRISIS_LINE,
    )


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
    emergency: bool = False


def _age(appointment: Appointment) -> int | None:
    return appointment.patient.age_on(timezone.localdate(appointment.starts_at))


def _triage_library():
    """Approved content decides triage; until a clinician approves any, the shipped rules do.

    Safety rules must never be off: an unapproved library still catches an emergency.
    """
    library, _ = approved_library()
    return library or packaged_library()


@transaction.atomic
def response_save_page(*, response: Response, page_id: str, raw: dict) -> PageSave:
    """Validate and store one page as a draft. Nothing is stored from a page with errors.

    When the answers so far meet an emergency rule, the case is flagged at once, before the
    questionnaire is finished.
    """
    locked = (
        Response.objects.select_for_update()
        .select_related("appointment__patient")
        .get(pk=response.pk)
    )
    if locked.is_submitted:
        return PageSave(ok=False, errors={"__all__": "These answers were already sent."})
    definition = _definition_of(locked)
    cleaned, errors = definition.clean_page(page_id, raw, locked.answers)
    if errors:
        return PageSave(ok=False, errors=errors)
    merged = {k: v for k, v in locked.answers.items() if k not in definition.page_item_ids(page_id)}
    merged.update(cleaned)
    locked.answers = definition.prune(merged)
    if page_id not in locked.pages_done:
        locked.pages_done = [*locked.pages_done, page_id]
    locked.updated_at = timezone.now()
    result = advice.triage(
        definition.for_advice(locked.answers),
        age=_age(locked.appointment),
        library=_triage_library(),
        context=render_context(),
    )
    emergency = result.level == TriageLevel.EMERGENCY
    if emergency:
        reasons = [reason.to_dict() for reason in result.reasons]
        case_flag(appointment=locked.appointment, level=result.level, reasons=reasons)
        locked.triage_level, locked.triage_reasons = result.level, reasons
        if locked.emergency_shown_at is None:
            locked.emergency_shown_at = locked.updated_at
    locked.save()
    response.refresh_from_db()
    return PageSave(ok=True, errors={}, emergency=emergency)


@dataclass(frozen=True)
class Submission:
    response: Response
    created: bool  # False when the response had already been submitted (a double click)
    missing_pages: tuple[str, ...] = ()


@transaction.atomic
def response_submit(*, response: Response) -> Submission:
    """Submit once: evaluate, triage, snapshot the handout, flag. Repeats change nothing."""
    locked = (
        Response.objects.select_for_update()
        .select_related("appointment__patient")
        .get(pk=response.pk)
    )
    if locked.is_submitted:
        return Submission(response=locked, created=False)
    definition = _definition_of(locked)
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
    locked.scores = evaluation["scores"]
    locked.triage_level = evaluation["triage"]
    locked.triage_reasons = evaluation["reasons"]
    locked.save()
    handout = evaluation["handout_object"]
    if handout is not None:
        IssuedHandout.objects.create(
            response=locked,
            title=handout.title,
            topics=list(handout.topics),
            markdown=handout.markdown,
            html=handout.html,
            blocks=handout.to_dict()["blocks"],
            content_versions=evaluation["content_versions"],
            rules_fired=list(handout.rules_fired),
            reading_grade=handout.reading_grade,
            word_count=handout.word_count,
        )
    case_flag(
        appointment=locked.appointment, level=locked.triage_level, reasons=locked.triage_reasons
    )
    if handout is not None:
        from intake.tasks import handout_render_pdf

        handout_render_pdf.delay_on_commit(locked.pk)
    return Submission(response=locked, created=True)


def evaluate_answers(*, definition: Definition, answers: dict, age: int | None) -> dict:
    """The one evaluation path, used by the portal and by `evaluate_response`."""
    library, versions = approved_library()
    for_advice = definition.for_advice(answers)
    triage_result = advice.triage(
        for_advice, age=age, library=library or packaged_library(), context=render_context()
    )
    handout = None
    if library is not None:
        handout = advice.build_handout(
            for_advice,
            age=age,
            library=library,
            triage_result=triage_result,
            context=render_context(),
        )
    return {
        "triage": str(triage_result.level),
        "reasons": [reason.to_dict() for reason in triage_result.reasons],
        "scores": score_all(answers),
        "handout_object": handout,
        "content_versions": {
            t: versions[t] for t in (handout.topics if handout else ()) if t in versions
        }
        | ({"global": versions["global"]} if "global" in versions else {}),
    }


# --- Handout PDF ----------------------------------------------------------------------------

PDF_SWEEP_AFTER = timedelta(minutes=2)
PDF_SWEEP_WITHIN = timedelta(days=2)


def handouts_pdf_requeue(*, now=None) -> int:
    """Queue again every handout whose PDF is missing a while after submission.

    The PDF job is enqueued after commit; if the broker was down then, the job never existed.
    The handout row is the record of the work, so beat re-queues from it (rendering twice is
    harmless: `handout_pdf_render` makes one file).
    """
    from intake.tasks import handout_render_pdf

    now = now or timezone.now()
    waiting = IssuedHandout.objects.filter(
        pdf="", created_at__lt=now - PDF_SWEEP_AFTER, created_at__gt=now - PDF_SWEEP_WITHIN
    ).values_list("response_id", flat=True)
    count = 0
    for response_id in waiting[:500]:
        handout_render_pdf.delay_on_commit(response_id)
        count += 1
    return count


def handout_pdf_render(*, response_id: int) -> IssuedHandout | None:
    """Render the snapshotted handout to PDF once; a second run finds it done."""
    from django.core.files.base import ContentFile
    from django.template.loader import render_to_string

    from advice.pdf import html_to_pdf

    handout = IssuedHandout.objects.filter(response_id=response_id).first()
    if handout is None or handout.pdf:
        return handout
    document = render_to_string(
        "intake/handout_pdf.html", {"handout": handout, "CLINIC_NAME": settings.CLINIC_NAME}
    )
    pdf_bytes = html_to_pdf(document)
    with transaction.atomic():
        locked = IssuedHandout.objects.select_for_update().get(pk=handout.pk)
        if locked.pdf:
            return locked
        locked.pdf.save(f"handout-{locked.pk}.pdf", ContentFile(pdf_bytes), save=False)
        locked.pdf_ready_at = timezone.now()
        locked.save(update_fields=["pdf", "pdf_ready_at"])
    return locked


# --- Retention ------------------------------------------------------------------------------


def drafts_purge(*, now=None, batch: int = 500) -> int:
    """Delete drafts nobody submitted: untouched for DRAFT_RETENTION_DAYS, appointment past.

    One row at a time, so each deletion is in the audit trail. A flagged case stays (it belongs
    to the appointment, and its reasons are the clinical record). Returns how many went.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.DRAFT_RETENTION_DAYS)
    stale = Response.objects.drafts().filter(updated_at__lt=cutoff, appointment__starts_at__lt=now)
    deleted = 0
    for response in stale.order_by("pk")[:batch]:
        with transaction.atomic():
            # Re-checked under the row lock: a patient may be submitting this very draft.
            locked = Response.objects.select_for_update().filter(
                pk=response.pk, status=ResponseStatus.IN_PROGRESS, updated_at__lt=cutoff
            )
            for row in locked:
                row.delete()
                deleted += 1
    return deleted
