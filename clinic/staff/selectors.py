"""Who is told: the clinicians on duty, the escalation list, the clinic admins."""

import logging

from django.contrib.auth import get_user_model
from django.db.models import Q
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinic.staff.models import StaffProfile
from clinic.staff.roles import Role

logger = logging.getLogger("clinic.staff")


def _active_users():
    return get_user_model().objects.filter(is_active=True)


def clinicians_on_duty() -> list:
    """Clinicians marked on duty; if nobody is, every active clinician.

    A flag that reaches nobody is the worst failure this product can have, so an empty roster
    widens the circle instead of silencing it.
    """
    clinicians = _active_users().filter(groups__name=Role.CLINICIAN.value)
    on_duty = list(clinicians.filter(staff_profile__on_duty=True).order_by("pk").distinct())
    if on_duty:
        return on_duty
    logger.warning("no clinician is marked on duty: telling every active clinician")
    return list(clinicians.order_by("pk").distinct())


def escalation_contacts(*, exclude_ids: set[int], limit: int) -> list:
    """The next people on the escalation list (lowest rank first) not already told."""
    profiles = (
        StaffProfile.objects.filter(escalation_rank__isnull=False, user__is_active=True)
        .exclude(user_id__in=exclude_ids)
        .select_related("user")
        .order_by("escalation_rank", "user_id")
    )
    return [profile.user for profile in profiles[:limit]]


def clinic_admins() -> list:
    return list(
        _active_users()
        .filter(Q(groups__name=Role.CLINIC_ADMIN.value) | Q(is_superuser=True))
        .order_by("pk")
        .distinct()
    )


def clinicians():
    """Active clinicians, by name: who a case can be assigned to."""
    return (
        _active_users().filter(groups__name=Role.CLINICIAN.value).order_by("last_name", "username")
    )


def confirmed_app_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def pending_app_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()


def backup_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user).count()
