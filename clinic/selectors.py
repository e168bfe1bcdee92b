"""Reads for the clinic's pages. Each runs a fixed number of queries whatever the row count."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone

from clinic.models import Appointment, Case, CaseLevel, CaseStatus

PAGE_SIZE = 25


@dataclass(frozen=True)
class QueueFilters:
    level: str | None = None
    status: str | None = None  # None: the open ones (new and acknowledged)
    mine: bool = False
    day: date | None = None
    search: str = ""


@dataclass(frozen=True)
class QueuePage:
    cases: list
    has_next: bool
    next_cursor: str | None
    counts: dict


def _cursor_of(case: Case) -> str:
    return f"{case.level_rank}_{case.appointment.starts_at.timestamp():.6f}_{case.pk}"


def _parse_cursor(cursor: str | None):
    if not cursor:
        return None
    try:
        rank, stamp, pk = cursor.split("_")
        return int(rank), datetime.fromtimestamp(float(stamp), tz=UTC), int(pk)
    except (ValueError, OverflowError):
        raise ValueError("That page link is not valid; start from the first page.") from None


def case_queue(*, clinician, filters: QueueFilters, cursor: str | None = None) -> QueuePage:
    """Open flagged cases: emergency first, then urgent, then by appointment time.

    Keyset pagination on (level_rank, appointment time, id): no OFFSET and no COUNT(*) over
    the cases table; the per-level counts cover open cases only, which the status index
    keeps small.
    """
    cases = Case.objects.select_related("appointment__patient", "assigned_to")
    cases = cases.filter(status=filters.status) if filters.status else cases.open()
    if filters.level:
        cases = cases.filter(level=filters.level)
    if filters.mine:
        cases = cases.filter(assigned_to=clinician)
    if filters.day:
        cases = cases.filter(appointment__starts_at__date=filters.day)
    if filters.search:
        for word in filters.search.split()[:3]:
            cases = cases.filter(
                Q(appointment__patient__last_name__icontains=word)
                | Q(appointment__patient__first_name__icontains=word)
            )
    after = _parse_cursor(cursor)
    if after is not None:
        rank, starts, pk = after
        cases = cases.filter(
            Q(level_rank__gt=rank)
            | Q(level_rank=rank, appointment__starts_at__gt=starts)
            | Q(level_rank=rank, appointment__starts_at=starts, pk__gt=pk)
        )
    rows = list(cases.order_by("level_rank", "appointment__starts_at", "pk")[: PAGE_SIZE + 1])
    has_next = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    return QueuePage(
        cases=rows,
        has_next=has_next,
        next_cursor=_cursor_of(rows[-1]) if has_next else None,
        counts=open_case_counts(),
    )


def open_case_counts() -> dict:
    counts = Case.objects.open().aggregate(
        emergency=Count("pk", filter=Q(level=CaseLevel.EMERGENCY)),
        urgent=Count("pk", filter=Q(level=CaseLevel.URGENT)),
        new=Count("pk", filter=Q(status=CaseStatus.NEW)),
    )
    return counts


def wait_state(case: Case, *, now=None) -> str:
    """'over' when an unacknowledged case has waited past its target, else 'ok'."""
    if case.status != CaseStatus.NEW:
        return "ok"
    now = now or timezone.now()
    target = (
        settings.EMERGENCY_ACK_TARGET
        if case.level == CaseLevel.EMERGENCY
        else settings.URGENT_ACK_TARGET
    )
    waited = now - case.flagged_at
    if waited > target:
        return "over"
    if waited > target / 2:
        return "near"
    return "ok"


def case_detail(*, case_id: int) -> Case | None:
    return (
        Case.objects.select_related(
            "appointment__patient",
            "appointment__clinician",
            "appointment__response__questionnaire",
            "appointment__response__handout",
            "assigned_to",
        )
        .defer("appointment__response__questionnaire__definition")  # definition_for() caches it
        .filter(pk=case_id)
        .first()
    )


def case_events(*, case: Case):
    return list(case.events.select_related("actor").order_by("at", "id"))


def appointments_board(*, day_from: date, days: int = 7, search: str = ""):
    """Today's and upcoming appointments with their intake status, in one query."""
    start = timezone.make_aware(datetime.combine(day_from, datetime.min.time()))
    end = start + timedelta(days=days)
    appointments = (
        Appointment.objects.active()
        .filter(starts_at__gte=start, starts_at__lt=end)
        .select_related("patient", "clinician", "response", "case")
        .order_by("starts_at", "pk")
    )
    if search:
        for word in search.split()[:3]:
            appointments = appointments.filter(
                Q(patient__last_name__icontains=word) | Q(patient__first_name__icontains=word)
            )
    return list(appointments[:200])


def intake_status(appointment: Appointment) -> str:
    case = getattr(appointment, "case", None)
    if case is not None:
        return "flagged"
    response = getattr(appointment, "response", None)
    if response is None:
        return "not_started"
    return "submitted" if response.is_submitted else "in_progress"
