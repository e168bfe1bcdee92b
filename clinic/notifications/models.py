"""The outbox: one row per message to one recipient on one channel, and every try at it."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from advice.levels import TriageLevel
from clinic.notifications.kinds import kind_handlers


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
        "clinic.Case", on_delete=models.CASCADE, null=True, blank=True, related_name="notifications"
    )
    appointment = models.ForeignKey(
        "clinic.Appointment",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
    )
    # What a "delivery failed" notice is about.
    about = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="failure_notices"
    )
    # The level when the notification was made (a case's level can rise later).
    level = models.CharField(
        max_length=16, choices=TriageLevel.choices(flagged_only=True), blank=True
    )
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
        """What the bell's list says: a level and a reference, never health information."""
        return kind_handlers(self.kind).headline(self)


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
