"""Writes about staff: role permissions kept in step, and the second factor set up."""

import pytest
from django.contrib.auth.models import Group
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinic.staff.roles import Role
from clinic.staff.services import (
    app_device_confirm,
    app_device_pending,
    roles_sync,
    second_factor_check,
)

pytestmark = pytest.mark.django_db


def _codenames(role):
    group = Group.objects.get(name=role.value)
    return set(group.permissions.values_list("codename", flat=True))


def test_only_the_clinician_role_may_approve_handout_content():
    roles_sync()
    assert "approve_contentversion" in _codenames(Role.CLINICIAN)
    assert "approve_contentversion" not in _codenames(Role.CLINIC_ADMIN)
    assert "approve_contentversion" not in _codenames(Role.FRONT_DESK)


def test_a_permission_removed_from_a_group_comes_back_on_sync():
    group = Group.objects.get(name=Role.FRONT_DESK.value)
    group.permissions.clear()
    roles_sync()
    assert "add_appointment" in _codenames(Role.FRONT_DESK)


def test_a_wrong_first_code_confirms_nothing(clinician):
    device = app_device_pending(user=clinician)
    assert app_device_pending(user=clinician) == device, "the same device until it is confirmed"
    assert app_device_confirm(user=clinician, device=device, code="000000x") is None
    device.refresh_from_db()
    assert not device.confirmed


def test_the_right_first_code_confirms_the_device_and_gives_backup_codes(clinician):
    old = TOTPDevice.objects.create(user=clinician, name="Old phone", confirmed=True)
    device = app_device_pending(user=clinician)
    codes = app_device_confirm(user=clinician, device=device, code=f"{totp(device.bin_key):06d}")
    assert len(codes) == 10
    assert not TOTPDevice.objects.filter(pk=old.pk).exists(), "the new phone replaces the old"
    # A backup code is checked against the backup codes, once.
    assert second_factor_check(user=clinician, code=codes[0]) is not None
    assert second_factor_check(user=clinician, code=codes[0]) is None
