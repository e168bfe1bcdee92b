from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Language(models.TextChoices):
    ENGLISH = "en", "English"
    SPANISH = "es", "Spanish"
    FRENCH = "fr", "French"
    OTHER = "other", "Other"


class Patient(models.Model):
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    date_of_birth = models.DateField()
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=32, blank=True)
    preferred_language = models.CharField(
        max_length=8, choices=Language.choices, default=Language.ENGLISH
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["last_name", "first_name"]
        indexes = [models.Index(fields=["last_name", "first_name"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(date_of_birth__gt=date(1900, 1, 1)),
                name="patient_birth_date_plausible",
            )
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def age_on(self, day: date) -> int:
        born = self.date_of_birth
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))

    @property
    def age(self) -> int:
        return self.age_on(timezone.localdate())


class AppointmentStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    ARRIVED = "arrived", "Arrived"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"
    NO_SHOW = "no_show", "No show"


class AppointmentQuerySet(models.QuerySet):
    def active(self):
        return self.exclude(status__in=[AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW])

    def upcoming(self, *, now=None):
        return self.active().filter(starts_at__gte=now or timezone.now()).order_by("starts_at")

    def on_day(self, day: date):
        return self.filter(starts_at__date=day)


class Appointment(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="appointments")
    clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="appointments",
        limit_choices_to={"groups__name": "clinician"},
    )
    starts_at = models.DateTimeField()
    reason = models.CharField(max_length=200, blank=True)
    status = models.CharField(
        max_length=16, choices=AppointmentStatus.choices, default=AppointmentStatus.SCHEDULED
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = AppointmentQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at"]
        indexes = [models.Index(fields=["starts_at"])]

    def __str__(self) -> str:
        return f"{self.patient} at {timezone.localtime(self.starts_at):%Y-%m-%d %H:%M}"


class CaseLevel(models.TextChoices):
    EMERGENCY = "emergency", "Emergency"
    URGENT = "urgent", "Urgent"


class CaseStatus(models.TextChoices):
    NEW = "new", "New"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    RESOLVED = "resolved", "Resolved"


class Disposition(models.TextChoices):
    CONTACTED = "contacted", "Contacted patient"
    EMERGENCY_CARE = "emergency_care", "Sent to emergency care"
    MOVED_EARLIER = "moved_earlier", "Appointment moved earlier"
    NO_ACTION = "no_action", "No action needed"


LEVEL_RANK = {CaseLevel.EMERGENCY: 0, CaseLevel.URGENT: 1}


class CaseQuerySet(models.QuerySet):
    def open(self):
        return self.exclude(status=CaseStatus.RESOLVED)

    def queue_order(self):
        return self.order_by("level_rank", "appointment__starts_at", "flagged_at", "id")


class Case(models.Model):
    """A flagged response waiting for a clinician. One per appointment; its level only rises."""

    appointment = models.OneToOneField(Appointment, on_delete=models.CASCADE, related_name="case")
    level = models.CharField(max_length=16, choices=CaseLevel.choices)
    # 0 emergency, 1 urgent: stored so the queue sorts on an index, not a CASE expression.
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
    disposition = models.CharField(max_length=32, choices=Disposition.choices, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    # Bumped by every action: a form carrying an older version is stale and refused.
    version = models.PositiveIntegerField(default=1)

    objects = CaseQuerySet.as_manager()

    class Meta:
        ordering = ["level_rank", "flagged_at"]
        indexes = [
            models.Index(fields=["status", "level_rank", "flagged_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(level_rank__in=[0, 1]), name="case_level_rank_known"
            ),
            models.CheckConstraint(
                condition=~Q(status=CaseStatus.RESOLVED) | ~Q(disposition=""),
                name="resolved_case_has_disposition",
            ),
        ]

    def __str__(self) -> str:
        return f"Case {self.pk} ({self.get_level_display()}, {self.get_status_display()})"


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
