"""Writes of the review room: flags, what clinicians do about them, and escalation."""

from collections.abc import Sequence

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from advice.levels import TriageLevel
from advice.triage import Reason
from clinic.notifications.inbox import notifications_clear_for_case
from clinic.records.models import Appointment
from clinic.review.models import OPEN_STATUSES, Case, CaseAction, CaseEvent, CaseStatus
from clinic.review.notices import notify_case_escalated, notify_case_flagged

# --- Flagged cases ----------------------------------------------------------------------------


@transaction.atomic
def case_flag(
    *, appointment: Appointment, level: TriageLevel, reasons: Sequence[Reason]
) -> Case | None:
    """Flag an appointment's answers for review, or raise an open case's level.

    The portal calls this (through the handler registered in intake/responses/flagging.py) in
    the same transaction that stores the answers, so a flag exists exactly when the answers that
    caused it do; so are the notifications of a new case or a raised level, which are queued
    only once that transaction commits. Routine results flag nothing. A case's level never
    falls.
    """
    level = TriageLevel(level)
    if not level.flagged:
        return None
    stored_reasons = [reason.to_dict() for reason in reasons]
    case = Case.objects.select_for_update().filter(appointment=appointment).first()
    if case is None:
        case = Case.objects.create(
            appointment=appointment, level=level, level_rank=level.rank, reasons=stored_reasons
        )
        CaseEvent.objects.create(case=case, action=CaseAction.FLAGGED, detail={"level": level})
        notify_case_flagged(case=case, level=level)
        return case
    changed = []
    raised = level > case.triage_level
    if raised:
        CaseEvent.objects.create(
            case=case, action=CaseAction.RAISED, detail={"from": case.level, "to": level}
        )
        case.level, case.level_rank = level, level.rank
        changed += ["level", "level_rank"]
        if case.status == CaseStatus.RESOLVED:
            # A higher level after resolution is a new problem: reopen it.
            case.status, case.resolved_at, case.disposition = CaseStatus.NEW, None, ""
            case.flagged_at = timezone.now()
            changed += ["status", "resolved_at", "disposition", "flagged_at"]
    if stored_reasons != case.reasons:
        case.reasons = stored_reasons
        changed.append("reasons")
    if changed:
        case.version += 1
        case.save(update_fields=[*changed, "version"])
    if raised:
        notify_case_flagged(case=case, level=level)
    return case


class CaseConflict(Exception):
    """The case changed since the form was shown (another clinician acted): reload and retry."""


class CaseActionRefused(Exception):
    pass


def _act(
    *,
    case_id: int,
    expected_version: int,
    actor,
    action: CaseAction,
    changes: dict,
    note: str = "",
    detail: dict | None = None,
    allowed_from: Sequence[CaseStatus],
) -> Case:
    """Apply one action with a conditional update on the version: two clinicians acting at once
    can't both win; the loser gets CaseConflict and nothing of theirs is written."""
    updated = Case.objects.filter(
        pk=case_id, version=expected_version, status__in=allowed_from
    ).update(version=F("version") + 1, **changes)
    if updated != 1:
        current = Case.objects.filter(pk=case_id).values_list("status", "version").first()
        if current is None:
            raise CaseActionRefused("That case no longer exists.")
        status, version = current
        if version != expected_version:
            raise CaseConflict(
                "Someone else changed this case a moment ago. Review the latest state and try "
                "again."
            )
        raise CaseActionRefused(f"A {CaseStatus(status).label.lower()} case can't be {action}.")
    case = Case.objects.get(pk=case_id)
    CaseEvent.objects.create(case=case, action=action, actor=actor, note=note, detail=detail or {})
    return case


@transaction.atomic
def case_acknowledge(*, case_id: int, expected_version: int, clinician) -> Case:
    now = timezone.now()
    case = _act(
        case_id=case_id,
        expected_version=expected_version,
        actor=clinician,
        action=CaseAction.ACKNOWLEDGED,
        allowed_from=OPEN_STATUSES,
        changes={
            "status": CaseStatus.ACKNOWLEDGED,
            "assigned_to": clinician,
            "acknowledged_at": now,
        },
    )
    notifications_clear_for_case(case_id=case.pk)  # somebody has it: the bells go quiet
    return case


@transaction.atomic
def case_reassign(*, case_id: int, expected_version: int, clinician, to) -> Case:
    return _act(
        case_id=case_id,
        expected_version=expected_version,
        actor=clinician,
        action=CaseAction.REASSIGNED,
        allowed_from=OPEN_STATUSES,
        changes={"assigned_to": to},
        detail={"to": to.get_username(), "to_id": to.pk},
    )


@transaction.atomic
def case_note(*, case_id: int, expected_version: int, clinician, note: str) -> Case:
    return _act(
        case_id=case_id,
        expected_version=expected_version,
        actor=clinician,
        action=CaseAction.NOTE,
        allowed_from=(*OPEN_STATUSES, CaseStatus.RESOLVED),
        changes={},
        note=note,
    )


@transaction.atomic
def case_resolve(
    *, case_id: int, expected_version: int, clinician, disposition: str, note: str
) -> Case:
    now = timezone.now()
    case = _act(
        case_id=case_id,
        expected_version=expected_version,
        actor=clinician,
        action=CaseAction.RESOLVED,
        allowed_from=OPEN_STATUSES,
        note=note,
        changes={
            "status": CaseStatus.RESOLVED,
            "resolved_at": now,
            "resolved_by": clinician,
            "disposition": disposition,
        },
        detail={"disposition": disposition},
    )
    notifications_clear_for_case(case_id=case.pk)
    return case


# --- Escalation -------------------------------------------------------------------------------


def cases_escalate(*, now=None) -> list[int]:
    """Escalate every case left unacknowledged past its target. Run every minute by beat.

    The target is the level's (clinic.review.models.acknowledgement_target), counted from when
    the case was flagged, as the dashboard's "over target" colour is.
    """
    now = now or timezone.now()
    due = Case.objects.waiting_past_target(now=now)
    ids = list(due.order_by("-level_rank", "flagged_at").values_list("pk", flat=True)[:500])
    return [case_id for case_id in ids if case_escalate(case_id=case_id, now=now)]


@transaction.atomic
def case_escalate(*, case_id: int, now=None) -> bool:
    """Escalate one case, once: the next people on the escalation list and the admins are told.

    The conditional update on escalated_at makes a second run (or a second beat) a no-op, and a
    case acknowledged a moment before is left alone. The version is not bumped: an escalation
    changes nothing a clinician's open form could conflict with, and refusing their
    "acknowledge" as stale at that moment would be the worst timing.
    """
    now = now or timezone.now()
    won = Case.objects.filter(pk=case_id, status=CaseStatus.NEW, escalated_at__isnull=True).update(
        escalated_at=now
    )
    if won != 1:
        return False
    case = Case.objects.get(pk=case_id)
    told = notify_case_escalated(case=case)
    CaseEvent.objects.create(
        case=case,
        action=CaseAction.ESCALATED,
        at=now,
        detail={
            "level": case.level,
            "waited_minutes": int((now - case.flagged_at).total_seconds() // 60),
            "notified": [user.get_username() for user in told],
        },
    )
    return True
