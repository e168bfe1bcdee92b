from datetime import date

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
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
    # "Done" markers for the patient reminders: set in the transaction that queues the reminder,
    # so a missed beat run catches up and a second run sends nothing twice.
    reminder_48h_sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    reminder_2h_sent_at = models.DateTimeField(null=True, blank=True, editable=False)

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


# --- Notifications ----------------------------------------------------------------------------


class StaffProfile(models.Model):
    """Who is on duty (told about every flag) and the escalation order (told when nobody acts)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_profile"
    )
    on_duty = models.BooleanField(
        default=False, help_text="Told at once, in the app and by email, about every flagged case."
    )
    escalation_rank = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(999)],
        help_text="Place on the escalation list (1 is called first). Blank: not on the list.",
    )

    class Meta:
        ordering = ["escalation_rank", "user__username"]
        verbose_name = "duty roster entry"
        verbose_name_plural = "duty roster"

    def __str__(self) -> str:
        return f"Duty roster: {self.user}"


class WebhookEndpoint(models.Model):
    """A URL told about flags and escalations (e.g. a team chat), signed with its own secret."""

    name = models.CharField(max_length=100)
    url = models.URLField(max_length=500)
    # Kept in the clear because signing needs it; the admin never shows it back in full.
    secret = models.CharField(max_length=128)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def secret_hint(self) -> str:
        return f"…{self.secret[-4:]}" if len(self.secret) >= 12 else "(set)"


class NotificationKind(models.TextChoices):
    CASE_FLAGGED = "case_flagged", "Case flagged"
    CASE_ESCALATED = "case_escalated", "Case escalated"
    REMINDER_48H = "reminder_48h", "Reminder 48 hours before"
    REMINDER_2H = "reminder_2h", "Reminder 2 hours before"
    DELIVERY_FAILED = "delivery_failed", "A notification failed"
    LINK_LOCKED = "link_locked", "A patient link was locked"


class NotificationChannel(models.TextChoices):
    IN_APP = "in_app", "In the app"
    EMAIL = "email", "Email"
    WEBHOOK = "webhook", "Webhook"
    SMS = "sms", "SMS"


class NotificationStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Not needed any more"


class NotificationQuerySet(models.QuerySet):
    def in_app_for(self, user):
        return self.filter(recipient=user, channel=NotificationChannel.IN_APP)

    def unread(self):
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """One message to one recipient on one channel: a row before it is a Celery message.

    Created in the transaction that causes it (a flag, an escalation, a reminder), claimed by a
    worker with a conditional update, and marked sent or failed; the idempotency key makes a
    second creation of the same message a no-op.
    """

    kind = models.CharField(max_length=20, choices=NotificationKind.choices)
    channel = models.CharField(max_length=10, choices=NotificationChannel.choices)
    status = models.CharField(
        max_length=10, choices=NotificationStatus.choices, default=NotificationStatus.PENDING
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
    )
    # Email address or phone number, as it was when the notification was made.
    address = models.CharField(max_length=254, blank=True)
    webhook = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, null=True, blank=True, related_name="notifications"
    )
    appointment = models.ForeignKey(
        Appointment, on_delete=models.CASCADE, null=True, blank=True, related_name="notifications"
    )
    # What a "delivery failed" notice is about.
    about = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="failure_notices"
    )
    # The level when the notification was made (a case's level can rise later).
    level = models.CharField(max_length=16, choices=CaseLevel.choices, blank=True)
    # The pre-visit link a reminder carried: made at send time, only its hash is stored.
    previsit_link = models.ForeignKey(
        "intake.PrevisitLink", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    idempotency_key = models.CharField(max_length=200, unique=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # Bumped when an admin retries a failed notification: attempts start again from zero.
    retry_round = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The sweep: rows left pending, rows stuck sending.
            models.Index(fields=["status", "next_attempt_at"], name="notification_sweep_idx"),
            # The bell: a user's unread in-app notifications.
            models.Index(
                fields=["recipient", "read_at"],
                condition=Q(channel="in_app"),
                name="notification_inbox_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(channel="webhook") | Q(webhook__isnull=False),
                name="webhook_notification_has_endpoint",
            ),
            models.CheckConstraint(
                condition=~Q(channel="in_app") | Q(recipient__isnull=False),
                name="in_app_notification_has_recipient",
            ),
            models.CheckConstraint(
                condition=~Q(status="sent") | Q(sent_at__isnull=False),
                name="sent_notification_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"Notification {self.pk} ({self.get_kind_display()}, {self.get_channel_display()})"

    @property
    def headline(self) -> str:
        """What the bell's list says: a level and a case reference, never health information."""
        if self.kind == NotificationKind.CASE_FLAGGED:
            return f"{self.get_level_display()} case {self.case_id} flagged"
        if self.kind == NotificationKind.CASE_ESCALATED:
            return f"{self.get_level_display()} case {self.case_id} escalated: not acknowledged"
        if self.kind == NotificationKind.DELIVERY_FAILED:
            return f"Notification {self.about_id} could not be delivered"
        if self.kind == NotificationKind.LINK_LOCKED:
            return f"Pre-visit link {self.previsit_link_id} locked: wrong dates of birth"
        return self.get_kind_display()


class AttemptOutcome(models.TextChoices):
    IN_PROGRESS = "in_progress", "In progress"
    SENT = "sent", "Sent"
    TRANSIENT = "transient", "Failed, will retry"
    PERMANENT = "permanent", "Failed, no retry"
    INTERRUPTED = "interrupted", "Interrupted (worker lost)"
    SKIPPED = "skipped", "Not needed any more"


class DeliveryAttempt(models.Model):
    """Every try at delivering a notification and how it ended: the delivery audit trail."""

    notification = models.ForeignKey(
        Notification, on_delete=models.CASCADE, related_name="delivery_attempts"
    )
    retry_round = models.PositiveSmallIntegerField(default=0)
    number = models.PositiveSmallIntegerField()
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(
        max_length=12, choices=AttemptOutcome.choices, default=AttemptOutcome.IN_PROGRESS
    )
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["started_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["notification", "retry_round", "number"], name="one_attempt_per_number"
            )
        ]

    def __str__(self) -> str:
        return f"Attempt {self.number} of notification {self.notification_id}"
