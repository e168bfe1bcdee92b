import io
import os
from pathlib import Path

import pytest
from django.core.management import call_command

SHOTS = os.environ.get("PREVISIT_SCREENSHOTS")


@pytest.fixture
def shoot():
    """Save a screenshot for the README when PREVISIT_SCREENSHOTS names a folder."""

    def take(page, name, *, full_page=True):
        if SHOTS:
            Path(SHOTS).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=full_page)

    return take


@pytest.fixture
def approved_content(transactional_db, clinician):
    call_command("sync_content", approve_as=clinician.username, stdout=io.StringIO())


def answer_page(page, data: dict):
    """Answer one questionnaire page as a person would: click the options, type the text."""
    for name, value in data.items():
        values = value if isinstance(value, list) else [value]
        inputs = page.locator(f'[name="{name}"]')
        kind = inputs.first.get_attribute("type")
        if kind in ("checkbox", "radio"):
            for v in values:
                page.locator(f'[name="{name}"][value="{v}"]').check()
        else:
            inputs.first.fill(str(values[0]))


PASSWORD = "correct-horse-battery"


def current_totp(key_hex_or_b32: str, *, is_b32: bool) -> str:
    """What an authenticator app shows now for this key (RFC 6238, as django-otp checks it)."""
    import base64
    import binascii

    from django_otp.oath import totp

    if is_b32:
        compact = key_hex_or_b32.replace(" ", "").upper()
        key = base64.b32decode(compact + "=" * (-len(compact) % 8))
    else:
        key = binascii.unhexlify(key_hex_or_b32)
    return f"{totp(key):06d}"


def _wait_for_a_fresh_code(user):
    """django-otp refuses a code from a time step already used: wait for the next one."""
    import time

    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    while device is not None and device.last_t >= int(time.time()) // device.step:
        time.sleep(0.5)


def sign_in(page, base, user, *, password=PASSWORD):
    """Sign in as a person does: the password, then the code from the authenticator app.

    An account without a device enrols on the way, reading the key off the setup page the way
    an app would scan it, and continues past the backup codes.
    """
    page.goto(base + "/accounts/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    if "/accounts/2fa/setup/" in page.url:
        key = page.locator(".otp-key").inner_text()
        page.get_by_label("Code").fill(current_totp(key, is_b32=True))
        page.get_by_role("button", name="Confirm").click()
        page.get_by_role("link", name="Continue").click()
    elif "/accounts/2fa/" in page.url:
        from django_otp.plugins.otp_totp.models import TOTPDevice

        _wait_for_a_fresh_code(user)
        device = TOTPDevice.objects.get(user=user, confirmed=True)
        page.get_by_label("Code").fill(current_totp(device.key, is_b32=False))
        page.get_by_role("button", name="Verify").click()
    page.wait_for_load_state()


def fill_birth_date(page, born) -> None:
    """The identity check as a patient does it: month from the list, then day and year."""
    page.get_by_label("Month").select_option(str(born.month))
    page.get_by_label("Day").fill(str(born.day))
    page.get_by_label("Year").fill(str(born.year))
    page.get_by_role("button", name="Continue").click()
