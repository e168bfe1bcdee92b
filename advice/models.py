"""Handout content versions and their approval. The engine itself needs no database."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class ContentStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    APPROVED = "approved", "Approved"
    RETIRED = "retired", "Retired"


class ContentVersionQuerySet(models.QuerySet):
    def approved(self):
        return self.filter(status=ContentStatus.APPROVED)


class ContentVersion(models.Model):
    """One version of one topic's content file. Used for patients only once approved."""

    topic = models.SlugField(max_length=60)
    version = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    body = models.JSONField()  # the parsed YAML document
    source_sha256 = models.CharField(max_length=64)
    status = models.CharField(
        max_length=16, choices=ContentStatus.choices, default=ContentStatus.DRAFT
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)

    objects = ContentVersionQuerySet.as_manager()

    class Meta:
        ordering = ["topic", "-version"]
        permissions = [("approve_contentversion", "Can approve content for patients")]
        constraints = [
            models.UniqueConstraint(fields=["topic", "version"], name="content_topic_version"),
            models.CheckConstraint(
                condition=~Q(status=ContentStatus.APPROVED)
                | (Q(approved_by__isnull=False) & Q(approved_at__isnull=False)),
                name="approved_content_names_who_and_when",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} v{self.version} ({self.get_status_display()})"
