"""Reads for the review room's pages. Each runs a fixed number of queries whatever the row count."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.db.models import Count, Min, Q, TextChoices
from django.utils import timezone

from advice.levels import TriageLevel
from clinic.notifications.models import (
    Notification,
    NotificationChannel,
    NotificationKind,
    NotificationStatus,
)
from clinic.records.models import Appointment
from clinic.records.selectors import name_search
from clinic.review.models import FLAGGED_LEVELS, Case, CaseStatus, acknowledgement_target
from intake.responses.models import ResponseStatus

PAGE_SIZE = 25


@dataclass(frozen=True)
class QueueFilters:
    level: TriageLevel | None = None
    status: CaseStatus | None = None  # None: the open ones (new and acknowledged)
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
    """Flagged cases, most urgent level first, then by appointment time.

    Keyset pagination on (level rank descending, appointment time, id): no OFFSET. The per-level
    counts are of the cases the filters select (open ones unless a status is chosen), so the
    badges agree with the rows; the status index keeps the open count small.
    """
    cases = Case.objects.select_related("appointment__patient", "assigned_to", "resolved_by")
    cases = cases.filter(status=filters.status) if filters.status else cases.open()
    if filters.level:
        cases = cases.filter(level=filters.level)
    if filters.mine:
        cases = cases.filter(assigned_to=clinician)
    if filters.day:
        cases = cases.filter(appointment__starts_at__date=filters.day)
    if filters.search:
        cases = cases.filter(name_search(filters.search, via="appointment__patient__"))
    counts = level_counts(cases)  # the badges count what the filter shows, on every page
    after = _parse_cursor(cursor)
    if after is not None:
        rank, starts, pk = after
        cases = cases.filter(
            Q(level_rank__lt=rank)
            | Q(level_rank=rank, appointment__starts_at__gt=starts)
            | Q(level_rank=rank, appointment__starts_at=starts, pk__gt=pk)
        )
    rows = list(cases.queue_order()[: PAGE_SIZE + 1])
    has_next = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    return QueuePage(
        cases=rows,
        has_next=has_next,
        next_cursor=_cursor_of(rows[-1]) if has_next else None,
        counts=counts,
    )


def level_counts(cases) -> dict[str, int]:
    """Cases per level (keyed by the level's value) and how many are still new."""
    return cases.aggregate(
        **{level.value: Count("pk", filter=Q(level=level)) for level in FLAGGED_LEVELS},
        new=Count("pk", filter=Q(status=CaseStatus.NEW)),
    )


def open_case_counts() -> dict[str, int]:
    """Open cases per level (keyed by the level's value) and how many are still new."""
    return level_counts(Case.objects.open())


class WaitState(TextChoices):
    OK = "ok", "Within its target"
    NEAR = "near", "Past half its target"
    OVER = "over", "Over its target"


def wait_state(case: Case, *, now=None) -> WaitState:
    """How an unacknowledged case's wait compares with its level's target."""
    if case.status != CaseStatus.NEW:
        return WaitState.OK
    now = now or timezone.now()
    target = acknowledgement_target(case.level)
    waited = now - case.flagged_at
    if waited > target:
        return WaitState.OVER
    if waited > target / 2:
        return WaitState.NEAR
    return WaitState.OK


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


def case_notifications(*, case: Case):
    return list(
        case.notifications.select_related("recipient", "webhook").order_by("created_at", "id")
    )


def appointments_board(*, day_from: date, days: int = 7, search: str = ""):
    """Today's and upcoming appointments with their intake status, in one query."""
    start = timezone.make_aware(datetime.combine(day_from, datetime.min.time()))
    end = start + timedelta(days=days)
    appointments = (
        Appointment.objects.active()
        .filter(starts_at__gte=start, starts_at__lt=end)
        .filter(name_search(search, via="patient__"))
        .select_related("patient", "clinician", "response", "case")
        .order_by("starts_at", "pk")
    )
    return list(appointments[:200])


def appointment_answers(*, appointment_id: int) -> Appointment | None:
    """A submitted response's appointment with what the answers page shows, or None."""
    appointment = (
        Appointment.objects.select_related(
            "patient", "clinician", "response__questionnaire", "response__handout", "case"
        )
        .defer("response__questionnaire__definition")
        .filter(pk=appointment_id, response__status=ResponseStatus.SUBMITTED)
        .first()
    )
    return appointment


class IntakeStatus(TextChoices):
    NOT_STARTED = "not_started", "Not started"
    IN_PROGRESS = "in_progress", "In progress"
    SUBMITTED = "submitted", "Submitted"
    FLAGGED = "flagged", "Flagged"


def intake_status(appointment: Appointment) -> IntakeStatus:
    if getattr(appointment, "case", None) is not None:
        return IntakeStatus.FLAGGED
    response = getattr(appointment, "response", None)
    if response is None:
        return IntakeStatus.NOT_STARTED
    return IntakeStatus.SUBMITTED if response.is_submitted else IntakeStatus.IN_PROGRESS


# --- Alerts that have not gone out -------------------------------------------------------------

ALERT_KINDS = (NotificationKind.CASE_FLAGGED, NotificationKind.CASE_ESCALATED)
UNDELIVERED = (NotificationStatus.PENDING, NotificationStatus.SENDING, NotificationStatus.FAILED)


@dataclass(frozen=True)
class DeliveryBacklog:
    waiting: int  # alert emails, texts and webhook calls not sent yet (being retried)
    late_cases: int  # unacknowledged cases whose alert has not gone out within their target
    oldest_minutes: int | None  # how long the oldest waiting alert has waited

    @property
    def healthy(self) -> bool:
        return self.late_cases == 0


def delivery_backlog(*, now=None) -> DeliveryBacklog:
    """Clinician alerts that have not gone out by email, SMS or webhook (one query).

    A case is late when it is still unacknowledged and an alert about it has not been sent
    within its level's acknowledgement target: the staff pages then show a banner to every
    clinician and admin, and /healthz/delivery answers 503.
    """
    now = now or timezone.now()
    too_long = Q()
    for level in FLAGGED_LEVELS:
        too_long |= Q(level=level, created_at__lte=now - acknowledgement_target(level))
    being_retried = Q(status__in=(NotificationStatus.PENDING, NotificationStatus.SENDING))
    late = Q(status__in=UNDELIVERED, case__status=CaseStatus.NEW) & too_long
    waiting = (
        Notification.objects.filter(kind__in=ALERT_KINDS)
        .exclude(channel=NotificationChannel.IN_APP)
        .filter(being_retried | late)
        .aggregate(
            count=Count("pk", filter=being_retried),
            oldest=Min("created_at", filter=being_retried),
            late=Count("case", filter=late, distinct=True),
        )
    )
    oldest = waiting["oldest"]
    return DeliveryBacklog(
        waiting=waiting["count"],
        late_cases=waiting["late"],
        oldest_minutes=int((now - oldest).total_seconds() // 60) if oldest else None,
    )
