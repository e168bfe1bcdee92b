"""Writes on the clinic's side: roles, flags, reviews and escalation.

Notifications (who is told, and delivery) are in clinic/notifications.py.
"""

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from clinic.models import (
    LEVEL_RANK,
    Appointment,
    Case,
    CaseAction,
    CaseEvent,
    CaseLevel,
    CaseStatus,
)
from clinic.notifications import notify_case_escalated, notify_case_flagged
from clinic.roles import ROLE_PERMISSIONS, Role


@transaction.atomic
def roles_sync(*, using: str = "default") -> None:
    """Make each role's group hold exactly the admin permissions ROLE_PERMISSIONS names."""
    for role in Role:
        group, _ = Group.objects.using(using).get_or_create(name=role.value)
        wanted = []
        for model_label, actions in ROLE_PERMISSIONS.get(role, {}).items():
            app_label, model = model_label.split(".")
            for action in actions:
                wanted.append((app_label, f"{action}_{model}"))
        perms = [
            p
            for p in Permission.objects.using(using)
            .filter(content_type__app_label__in={a for a, _ in wanted})
            .select_related("content_type")
            if (p.content_type.app_label, p.codename) in set(wanted)
        ]
        group.permissions.set(perms)


# --- Flagged cases ----------------------------------------------------------------------------


@transaction.atomic
def case_flag(*, appointment: Appointment, level: str, reasons: list[dict]) -> Case | None:
    """Flag an appointment's answers for review, or raise an open case's level.

    Called in the same transaction that stores the answers, so a flag exists exactly when the
    answers that caused it do; so are the notifications of a new case or a raised level, which
    are queued only once that transaction commits. Routine results flag nothing. A case's level
    never falls.
    """
    if level not in CaseLevel.values:
        return None
    rank = LEVEL_RANK[CaseLevel(level)]
    case = Case.objects.select_for_update().filter(appointment=appointment).first()
    if case is None:
        case = Case.objects.create(
            appointment=appointment, level=level, level_rank=rank, reasons=reasons
        )
        CaseEvent.objects.create(case=case, action=CaseAction.FLAGGED, detail={"level": level})
        notify_case_flagged(case=case, level=level)
        return case
    changed = []
    raised = rank < case.level_rank
    if raised:
        CaseEvent.objects.create(
            case=case, action=CaseAction.RAISED, detail={"from": case.level, "to": level}
        )
        case.level, case.level_rank = level, rank
        changed += ["level", "level_rank"]
        if case.status == "resolved":
            # A higher level after resolution is a new problem: reopen it.
            case.status, case.resolved_at, case.disposition = "new", None, ""
            case.flagged_at = timezone.now()
            changed += ["status", "resolved_at", "disposition", "flagged_at"]
    if reasons != case.reasons:
        case.reasons = reasons
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
    action: str,
    changes: dict,
    note: str = "",
    detail: dict | None = None,
    allowed_from: tuple[str, ...],
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
        raise CaseActionRefused(f"A {status} case can't be {action}.")
    case = Case.objects.get(pk=case_id)
    CaseEvent.objects.create(case=case, action=action, actor=actor, note=note, detail=detail or {})
    return case


OPEN = ("new", "acknowledged")


@transaction.atomic
def case_acknowledge(*, case_id: int, expected_version: int, clinician) -> Case:
    now = timezone.now()
    return _act(
        case_id=case_id,
        expected_version=expected_version,
        actor=clinician,
        action=CaseAction.ACKNOWLEDGED,
        allowed_from=OPEN,
        changes={"status": "acknowledged", "assigned_to": clinician, "acknowledged_at": now},
    )


@transaction.atomic
def case_reassign(*, case_id: int, expected_version: int, clinician, to) -> Case:
    return _act(
        case_id=case_id,
        expected_version=expected_version,
        actor=clinician,
        action=CaseAction.REASSIGNED,
        allowed_from=OPEN,
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
        allowed_from=(*OPEN, "resolved"),
        changes={},
        note=note,
    )


@transaction.atomic
def case_resolve(
    *, case_id: int, expected_version: int, clinician, disposition: str, note: str
) -> Case:
    now = timezone.now()
    return _act(
        case_id=case_id,
        expected_version=expected_version,
        actor=clinician,
        action=CaseAction.RESOLVED,
        allowed_from=OPEN,
        note=note,
        changes={"status": "resolved", "resolved_at": now, "disposition": disposition},
        detail={"disposition": disposition},
    )


# --- Escalation -------------------------------------------------------------------------------


def cases_escalate(*, now=None) -> list[int]:
    """Escalate every case left unacknowledged past its target. Run every minute by beat.

    Emergency after EMERGENCY_ACK_TARGET (15 minutes), urgent after URGENT_ACK_TARGET (2 hours),
    counted from when the case was flagged, as the dashboard's "over target" colour is.
    """
    now = now or timezone.now()
    due = Case.objects.filter(status=CaseStatus.NEW, escalated_at__isnull=True).filter(
        Q(level=CaseLevel.EMERGENCY, flagged_at__lte=now - settings.EMERGENCY_ACK_TARGET)
        | Q(level=CaseLevel.URGENT, flagged_at__lte=now - settings.URGENT_ACK_TARGET)
    )
    ids = list(due.order_by("level_rank", "flagged_at").values_list("pk", flat=True)[:500])
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
