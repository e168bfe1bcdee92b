from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from intake.fields import EncryptedJSONField


class QuestionnaireStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ACTIVE = "active", "Active"
    RETIRED = "retired", "Retired"


class QuestionnaireQuerySet(models.QuerySet):
    def active(self):
        return self.filter(status=QuestionnaireStatus.ACTIVE)

    def current(self, name: str):
        """The newest active version of a questionnaire."""
        return self.active().filter(name=name).order_by("-version_number").first()


class Questionnaire(models.Model):
    """One version of a questionnaire, stored as FHIR R4 Questionnaire JSON.

    A version that anyone has answered never changes: a changed definition is a new version
    (`intake.services.questionnaire_import`).
    """

    name = models.SlugField(max_length=100)
    url = models.URLField(max_length=300)
    version = models.CharField(max_length=40)
    version_number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    status = models.CharField(
        max_length=16, choices=QuestionnaireStatus.choices, default=QuestionnaireStatus.DRAFT
    )
    definition = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = QuestionnaireQuerySet.as_manager()

    class Meta:
        ordering = ["name", "-version_number"]
        constraints = [
            models.UniqueConstraint(fields=["url", "version"], name="questionnaire_url_version"),
            models.UniqueConstraint(
                fields=["name", "version_number"], name="questionnaire_name_version_number"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} (version {self.version})"

    @property
    def canonical(self) -> str:
        return f"{self.url}|{self.version}"


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
        constraints = [
            models.UniqueConstraint(
                fields=["appointment"],
                condition=Q(revoked_at__isnull=True),
                name="one_live_link_per_appointment",
            )
        ]

    def __str__(self) -> str:
        return f"Pre-visit link for appointment {self.appointment_id}"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def is_locked(self, now=None) -> bool:
        return self.locked_until is not None and self.locked_until > (now or timezone.now())


class LinkAttempt(models.Model):
    """Every date-of-birth check, kept for the audit trail."""

    link = models.ForeignKey(
        PrevisitLink, on_delete=models.CASCADE, null=True, related_name="attempts"
    )
    at = models.DateTimeField(default=timezone.now)
    ip_address = models.GenericIPAddressField(null=True)
    succeeded = models.BooleanField()
    outcome = models.CharField(max_length=32)

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.outcome} at {self.at:%Y-%m-%d %H:%M:%S}"


class ResponseStatus(models.TextChoices):
    IN_PROGRESS = "in_progress", "In progress"
    SUBMITTED = "submitted", "Submitted"


class TriageLevel(models.TextChoices):
    EMERGENCY = "emergency", "Emergency"
    URGENT = "urgent", "Urgent"
    ROUTINE = "routine", "Routine"


class ResponseQuerySet(models.QuerySet):
    def submitted(self):
        return self.filter(status=ResponseStatus.SUBMITTED)

    def drafts(self):
        return self.filter(status=ResponseStatus.IN_PROGRESS)


class Response(models.Model):
    """A patient's answers for one appointment: a draft until submitted, then read-only."""

    appointment = models.OneToOneField(
        "clinic.Appointment", on_delete=models.CASCADE, related_name="response"
    )
    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.PROTECT, related_name="responses"
    )
    status = models.CharField(
        max_length=16, choices=ResponseStatus.choices, default=ResponseStatus.IN_PROGRESS
    )
    # Encrypted at rest: it holds free text (intake/fields.py). Readable, not queryable.
    answers = EncryptedJSONField(default=dict, blank=True)
    # Pages the patient has moved on from: a page of optional questions left blank is done.
    pages_done = models.JSONField(default=list, blank=True)
    scores = models.JSONField(default=dict, blank=True)
    triage_level = models.CharField(max_length=16, choices=TriageLevel.choices, blank=True)
    triage_reasons = models.JSONField(default=list, blank=True)
    emergency_shown_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)
    submitted_at = models.DateTimeField(null=True, blank=True)

    objects = ResponseQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at"]
        indexes = [models.Index(fields=["status", "submitted_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(status=ResponseStatus.IN_PROGRESS) | Q(submitted_at__isnull=False),
                name="submitted_response_has_time",
            )
        ]

    def __str__(self) -> str:
        return f"Response for appointment {self.appointment_id} ({self.get_status_display()})"

    @property
    def is_submitted(self) -> bool:
        return self.status == ResponseStatus.SUBMITTED


class IssuedHandout(models.Model):
    """The handout a patient was given, frozen: it never changes after the fact."""

    response = models.OneToOneField(Response, on_delete=models.CASCADE, related_name="handout")
    title = models.CharField(max_length=300)
    topics = models.JSONField(default=list)
    markdown = models.TextField()
    html = models.TextField()
    blocks = models.JSONField(default=list)  # each sentence block with topic, block id, version
    content_versions = models.JSONField(default=dict)  # topic -> version used
    rules_fired = models.JSONField(default=list)
    reading_grade = models.FloatField()
    word_count = models.PositiveIntegerField()
    pdf = models.FileField(upload_to="handouts/", blank=True)
    pdf_ready_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    def __str__(self) -> str:
        return self.title
