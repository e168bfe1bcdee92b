"""A patient's answers for one appointment, and the handout they were given."""

from django.db import models
from django.db.models import Q
from django.utils import timezone

from advice.levels import TriageLevel
from intake.responses.fields import EncryptedJSONField


class ResponseStatus(models.TextChoices):
    IN_PROGRESS = "in_progress", "In progress"
    SUBMITTED = "submitted", "Submitted"


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
        "intake.Questionnaire", on_delete=models.PROTECT, related_name="responses"
    )
    status = models.CharField(
        max_length=16, choices=ResponseStatus.choices, default=ResponseStatus.IN_PROGRESS
    )
    # Encrypted at rest: it holds free text (intake/responses/fields.py). Readable, not queryable.
    answers = EncryptedJSONField(default=dict, blank=True)
    # Pages the patient has moved on from: a page of optional questions left blank is done.
    pages_done = models.JSONField(default=list, blank=True)
    scores = models.JSONField(default=dict, blank=True)
    triage_level = models.CharField(max_length=16, choices=TriageLevel.choices(), blank=True)
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
