"""Patient links: one per appointment at a time, stored only as a hash, and every check of one."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class PrevisitLinkQuerySet(models.QuerySet):
    def usable(self, *, now=None):
        now = now or timezone.now()
        return self.filter(revoked_at__isnull=True, expires_at__gt=now)


class PrevisitLink(models.Model):
    """A patient's link to one appointment's questionnaire. Only the token's hash is stored."""

    appointment = models.ForeignKey(
        "clinic.Appointment", on_delete=models.CASCADE, related_name="previsit_links"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    failed_attempts = models.PositiveIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)
    last_verified_at = models.DateTimeField(null=True, blank=True)

    objects = PrevisitLinkQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Pre-visit link for appointment {self.appointment_id}"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def is_locked(self, now=None) -> bool:
        return self.locked_until is not None and self.locked_until > (now or timezone.now())


class LinkAttemptOutcome(models.TextChoices):
    OK = "ok", "Date of birth confirmed"
    WRONG_DATE = "wrong-date", "Wrong date of birth"
    LOCKED_NOW = "locked-now", "Wrong date of birth: the link locked itself"
    LOCKED = "locked", "Tried while the link was locked"
    BAD_LINK = "bad-link", "Unknown, expired or revoked link"
    RATE_LIMITED = "rate", "Too many checks from this address"
    # Written only by the benchmark's bare view (clinic/bench_floor.py), never for a patient.
    BENCH = "bench", "Benchmark floor"


class LinkAttempt(models.Model):
    """Every date-of-birth check, kept for the audit trail."""

    link = models.ForeignKey(
        PrevisitLink, on_delete=models.CASCADE, null=True, related_name="attempts"
    )
    at = models.DateTimeField(default=timezone.now)
    ip_address = models.GenericIPAddressField(null=True)
    succeeded = models.BooleanField()
    outcome = models.CharField(max_length=32, choices=LinkAttemptOutcome.choices)
    # For LOCKED_NOW: when the clinic admins were told (intake.links.notices.link_locks_notify,
    # every minute). Telling them outside the check keeps its answer's timing the same as an
    # unknown link's.
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-at"]
        indexes = [
            models.Index(
                fields=["at"],
                condition=models.Q(outcome="locked-now", notified_at__isnull=True),
                name="linkattempt_to_notify_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.outcome} at {self.at:%Y-%m-%d %H:%M:%S}"
