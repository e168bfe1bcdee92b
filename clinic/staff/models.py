"""Staff: the duty roster (accounts are Django's users, roles are groups: clinic/staff/roles.py)."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models


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
