"""Flagged cases and their history: what a clinician reviews, and everything done about it."""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from advice.levels import TriageLevel

FLAGGED_LEVELS = [level for level in TriageLevel if level.flagged]


class CaseStatus(models.TextChoices):
    NEW = "new", "New"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    RESOLVED = "resolved", "Resolved"


OPEN_STATUSES = (CaseStatus.NEW, CaseStatus.ACKNOWLEDGED)


class Disposition(models.TextChoices):
    CONTACTED = "contacted", "Contacted patient"
    EMERGENCY_CARE = "emergency_care", "Sent to emergency care"
    MOVED_EARLIER = "moved_earlier", "Appointment moved earlier"
    NO_ACTION = "no_action", "No action needed"


def acknowledgement_target(level: str) -> timedelta:
    """How long a case of this level may wait for a clinician (EMERGENCY_ACK_TARGET_MINUTES,
    URGENT_ACK_TARGET_MINUTES, SOON_ACK_TARGET_HOURS): the queue's colours, escalation and its
    message all read this."""
    targets = {
        TriageLevel.EMERGENCY: settings.EMERGENCY_ACK_TARGET,
        TriageLevel.URGENT: settings.URGENT_ACK_TARGET,
        TriageLevel.SOON: settings.SOON_ACK_TARGET,
    }
    return targets[TriageLevel(level)]


class CaseQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status__in=OPEN_STATUSES)

    def queue_order(self):
        """Most urgent first, then by appointment time: the order the queue shows."""
        return self.order_by("-level_rank", "appointment__starts_at", "pk")

    def waiting_past_target(self, *, now):
        """New cases not yet escalated that have waited longer than their level allows."""
        waited_too_long = Q()
        for level in FLAGGED_LEVELS:
            waited_too_long |= Q(level=level, flagged_at__lte=now - acknowledgement_target(level))
        return self.filter(status=CaseStatus.NEW, escalated_at__isnull=True).filter(waited_too_long)


class Case(models.Model):
    """A flagged response waiting for a clinician. One per appointment; its level only rises."""

    appointment = models.OneToOneField(
        "clinic.Appointment", on_delete=models.CASCADE, related_name="case"
    )
    level = models.CharField(max_length=16, choices=TriageLevel.choices(flagged_only=True))
    # TriageLevel.rank, stored so the queue sorts on a column, not a CASE expression.
    level_rank = models.PositiveSmallIntegerField()
    reasons = models.JSONField(default=list)
    status = models.CharField(max_length=16, choices=CaseStatus.choices, default=CaseStatus.NEW)
    flagged_at = models.DateTimeField(default=timezone.now)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_cases",
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="resolved_cases",
    )
    disposition = models.CharField(max_length=32, choices=Disposition.choices, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    # Bumped by every action: a form carrying an older version is stale and refused.
    version = models.PositiveIntegerField(default=1)

    objects = CaseQuerySet.as_manager()

    class Meta:
        ordering = ["-level_rank", "flagged_at"]
        indexes = [
            models.Index(
                fields=["status", "-level_rank", "flagged_at"], name="case_status_rank_idx"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    *[Q(level=level.value, level_rank=level.rank) for level in FLAGGED_LEVELS],
                    _connector=Q.OR,
                ),
                name="case_level_rank_matches_level",
            ),
            models.CheckConstraint(
                condition=~Q(status=CaseStatus.RESOLVED) | ~Q(disposition=""),
                name="resolved_case_has_disposition",
            ),
        ]

    def __str__(self) -> str:
        return f"Case {self.pk} ({self.get_level_display()}, {self.get_status_display()})"

    @property
    def triage_level(self) -> TriageLevel:
        return TriageLevel(self.level)

    def is_someone_elses(self, user) -> bool:
        """Assigned to another clinician: acting on it asks for confirmation first."""
        return self.assigned_to_id not in (None, user.pk)


class CaseAction(models.TextChoices):
    FLAGGED = "flagged", "Flagged"
    RAISED = "raised", "Level raised"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    REASSIGNED = "reassigned", "Reassigned"
    NOTE = "note", "Note added"
    RESOLVED = "resolved", "Resolved"
    ESCALATED = "escalated", "Escalated"


class CaseEvent(models.Model):
    """The case's history: written once by a service, never edited or deleted."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=16, choices=CaseAction.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    note = models.TextField(blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} at {self.at:%Y-%m-%d %H:%M}"
