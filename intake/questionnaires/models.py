"""Questionnaire versions as the clinic stores them: FHIR R4 JSON, immutable once answered."""

from django.db import models
from django.utils import timezone


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
    (`intake.questionnaires.services.questionnaire_import`).
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
