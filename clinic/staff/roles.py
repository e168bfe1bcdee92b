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
    # Front desk: who is coming and whether they have done their questions; never answers.
    Role.FRONT_DESK: {
        "clinic.patient": ("view", "add", "change"),
        "clinic.appointment": ("view", "add", "change"),
        "intake.previsitlink": ("view", "change"),
    },
    # Clinicians review cases in the dashboard and approve handout content in the admin.
    Role.CLINICIAN: {
        "clinic.patient": ("view",),
        "clinic.appointment": ("view",),
        "clinic.case": ("view",),
        "clinic.caseevent": ("view",),
        "intake.response": ("view",),
        "intake.issuedhandout": ("view",),
        "intake.questionnaire": ("view",),
        # "approve" is advice's own permission: only a clinician's approval reaches patients.
        "advice.contentversion": ("view", "change", "approve"),
    },
    # Clinic admins run the clinic's records, questionnaires and staff accounts.
    Role.CLINIC_ADMIN: {
        "clinic.patient": ("view", "add", "change", "delete"),
        "clinic.appointment": ("view", "add", "change", "delete"),
        "clinic.case": ("view",),
        "clinic.caseevent": ("view",),
        "intake.previsitlink": ("view", "change"),
        "intake.linkattempt": ("view",),
        "intake.questionnaire": ("view", "add", "change"),
        "intake.response": ("view",),
        "intake.issuedhandout": ("view",),
        "advice.contentversion": ("view",),
        # Notifications: see the outbox and retry failures (change), run the roster and webhooks.
        "clinic.notification": ("view", "change"),
        "clinic.deliveryattempt": ("view",),
        "clinic.staffprofile": ("view", "add", "change", "delete"),
        "clinic.webhookendpoint": ("view", "add", "change", "delete"),
        "auth.user": ("view", "add", "change"),
        "auth.group": ("view",),
        # Security: read the audit trail (never change it), unlock a locked-out account
        # (delete its access attempts), reset a lost second factor (delete the device).
        "auditlog.logentry": ("view",),
        "axes.accessattempt": ("view", "delete"),
        "axes.accesslog": ("view",),
        "otp_totp.totpdevice": ("view", "delete"),
        "otp_static.staticdevice": ("view", "delete"),
    },
}
