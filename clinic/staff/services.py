"""Writes about staff: the roles' permissions kept in step, and backup sign-in codes."""

from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django_otp import devices_for_user, verify_token
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinic.staff.roles import ROLE_PERMISSIONS, Role

BACKUP_CODES = 10
BACKUP_DEVICE_NAME = "Backup codes"
APP_DEVICE_NAME = "Authenticator app"


@transaction.atomic
def roles_sync(*, using: str = "default") -> None:
    """Make each role's group hold exactly the admin permissions ROLE_PERMISSIONS names."""
    for role in Role:
        group, _ = Group.objects.using(using).get_or_create(name=role.value)
        wanted = set()
        for model_label, actions in ROLE_PERMISSIONS.get(role, {}).items():
            app_label, model = model_label.split(".")
            for action in actions:
                wanted.add((app_label, f"{action}_{model}"))
        perms = [
            p
            for p in Permission.objects.using(using)
            .filter(content_type__app_label__in={a for a, _ in wanted})
            .select_related("content_type")
            if (p.content_type.app_label, p.codename) in wanted
        ]
        group.permissions.set(perms)


@transaction.atomic
def backup_codes_issue(*, user) -> list[str]:
    """Ten new single-use codes; the old ones stop working. Returned once, stored as-is by
    django-otp's static device (each is deleted when used)."""
    device, _ = StaticDevice.objects.get_or_create(
        user=user, name=BACKUP_DEVICE_NAME, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(BACKUP_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


def second_factor_check(*, user, code: str):
    """The device that accepts `code` (counting a failure on the one it was meant for), or None.

    Six digits go to the app's device, anything else to the backup codes: a backup code tried
    on the app's device would count as a failure there and slow the next try.
    """
    app_code = len(code) == 6 and code.isdigit()
    for device in devices_for_user(user):
        if isinstance(device, TOTPDevice) != app_code:
            continue
        verified = verify_token(user, device.persistent_id, code)
        if verified is not None:
            return verified
    return None


def app_device_pending(*, user) -> TOTPDevice:
    """The authenticator being set up: the newest unconfirmed one, made if there is none."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    return device or TOTPDevice.objects.create(user=user, name=APP_DEVICE_NAME, confirmed=False)


@transaction.atomic
def app_device_confirm(*, user, device: TOTPDevice, code: str) -> list[str] | None:
    """Confirm the device with its first code: it replaces any other, and ten backup codes are
    made (returned once). None, and nothing changed, when the code is wrong."""
    if not device.verify_token(code):
        return None
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return backup_codes_issue(user=user)
