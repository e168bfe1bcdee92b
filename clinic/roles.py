"""Staff roles. Each is a Django group, created by a migration and kept in step on migrate."""

from django.db import models


class Role(models.TextChoices):
    CLINICIAN = "clinician", "Clinician"
    FRONT_DESK = "front_desk", "Front desk"
    CLINIC_ADMIN = "clinic_admin", "Clinic admin"


def has_role(user, role: Role) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    cached = getattr(user, "_previsit_roles", None)
    if cached is None:
        cached = frozenset(user.groups.values_list("name", flat=True))
        user._previsit_roles = cached
    return role.value in cached


# What each role may do in the admin: app_label.model -> actions.
ROLE_PERMISSIONS: dict[Role, dict[str, tuple[str, ...]]] = {
    Role.FRONT_DESK: {
        "clinic.patient": ("view", "add", "change"),
        "clinic.appointment": ("view", "add", "change"),
    },
    Role.CLINICIAN: {
        "clinic.patient": ("view",),
        "clinic.appointment": ("view",),
    },
    Role.CLINIC_ADMIN: {
        "clinic.patient": ("view", "add", "change", "delete"),
        "clinic.appointment": ("view", "add", "change", "delete"),
        "auth.user": ("view", "add", "change"),
        "auth.group": ("view",),
    },
}
