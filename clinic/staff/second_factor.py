"""Who must sign in with a second factor (a TOTP code), and whether this session has given it.

Clinicians and clinic admins (STAFF_2FA_ROLES), superusers, and anyone who enrolled a device.
"""

from django.conf import settings
from django_otp import user_has_device

from clinic.staff.roles import Role, has_role


def needs_second_factor(user) -> bool:
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    if any(has_role(user, Role(role)) for role in settings.STAFF_2FA_ROLES):
        return True
    cached = getattr(user, "_previsit_has_device", None)
    if cached is None:
        cached = user._previsit_has_device = user_has_device(user)
    return cached


def second_factor_missing(user) -> bool:
    """Signed in with a password, still owing the code."""
    return needs_second_factor(user) and not (hasattr(user, "is_verified") and user.is_verified())
