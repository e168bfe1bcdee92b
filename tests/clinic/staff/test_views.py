"""Staff sign-in: Argon2 passwords, lockout, and the TOTP second factor on every staff door."""

import base64
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinic.http import client_ip
from clinic.settings import base as base_settings
from tests.conftest import otp_device

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"


def _sign_in(client, user, *, password=PASSWORD, ip="203.0.113.5", follow=False):
    return client.post(
        "/accounts/login/",
        {"username": user.username, "password": password},
        REMOTE_ADDR=ip,
        follow=follow,
    )


def _code(device) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


# --- Passwords ----------------------------------------------------------------------------------


def test_passwords_are_hashed_with_argon2(settings):
    settings.PASSWORD_HASHERS = base_settings.PASSWORD_HASHERS
    assert make_password("a long enough passphrase").startswith("argon2$argon2id$")


def test_a_password_shorter_than_twelve_characters_or_a_common_one_is_refused(clinician):
    with pytest.raises(ValidationError, match="at least 12"):
        validate_password("Sh0rt!pass", user=clinician)
    with pytest.raises(ValidationError, match="too common"):
        validate_password("password1234", user=clinician)
    validate_password("violet-kettle-harbour-9", user=clinician)


# --- Lockout ------------------------------------------------------------------------------------


def test_five_wrong_passwords_lock_that_username_from_that_address(front_desk, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _sign_in(client, front_desk, password="wrong-password!").status_code == 200
    locked = _sign_in(client, front_desk, password="wrong-password!")
    assert locked.status_code == 429
    page = locked.content.decode()
    assert "Sign-in paused" in page and "axes_reset_username" in page
    # The right password does not help while the pair is locked.
    assert _sign_in(client, front_desk).status_code == 429


def test_a_lockout_does_not_reach_the_same_username_from_another_address(front_desk, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _sign_in(Client(), front_desk, password="wrong-password!", ip="203.0.113.66")
    assert _sign_in(Client(), front_desk, ip="198.51.100.7").status_code == 302


def test_a_clinic_admin_unlocks_an_account_with_axes_reset_username(front_desk, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _sign_in(Client(), front_desk, password="wrong-password!")
    assert _sign_in(Client(), front_desk).status_code == 429
    call_command("axes_reset_username", front_desk.username)
    assert _sign_in(Client(), front_desk).status_code == 302


def test_the_lockout_ends_after_the_cool_off(front_desk, settings):
    from datetime import timedelta

    from axes.models import AccessAttempt

    for _ in range(settings.AXES_FAILURE_LIMIT):
        _sign_in(Client(), front_desk, password="wrong-password!")
    assert _sign_in(Client(), front_desk).status_code == 429
    AccessAttempt.objects.update(
        attempt_time=AccessAttempt.objects.get().attempt_time
        - (settings.AXES_COOLOFF_TIME + timedelta(seconds=1))
    )
    assert _sign_in(Client(), front_desk).status_code == 302


def test_the_client_address_is_remote_addr_unless_a_proxy_of_ours_is_trusted(rf, settings):
    request = rf.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 192.0.2.10")
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(request) == "10.0.0.2"  # a client can write X-Forwarded-For itself
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(request) == "192.0.2.10"  # what our one proxy saw, not the forged left
    settings.TRUSTED_PROXY_COUNT = 3
    assert client_ip(request) == "10.0.0.2"  # fewer hops than proxies: trust nothing
    garbage = rf.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="not-an-address")
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(garbage) == "10.0.0.2"


def test_a_forged_forwarded_for_header_does_not_escape_a_lockout(front_desk, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    for n in range(settings.AXES_FAILURE_LIMIT):
        Client().post(
            "/accounts/login/",
            {"username": front_desk.username, "password": "wrong-password!"},
            REMOTE_ADDR="203.0.113.5",
            HTTP_X_FORWARDED_FOR=f"192.0.2.{n}",
        )
    assert _sign_in(Client(), front_desk, ip="203.0.113.5").status_code == 429


# --- The second factor ----------------------------------------------------------------------------


def test_a_clinician_must_enter_a_code_after_the_password(clinician):
    device = otp_device(clinician)
    client = Client()
    response = _sign_in(client, clinician)
    assert response["Location"].startswith("/accounts/2fa/?next=")
    # With the password alone, no staff page opens.
    for url in ("/dashboard/", "/dashboard/appointments/", "/admin/", "/dashboard/notifications/"):
        assert client.get(url)["Location"].startswith("/accounts/2fa/"), url
    verified = client.post("/accounts/2fa/", {"code": _code(device), "next": "/dashboard/"})
    assert verified["Location"] == "/dashboard/"
    assert client.get("/dashboard/").status_code == 200


def test_a_wrong_code_is_refused_and_slows_down_the_next_try(clinician):
    from datetime import timedelta

    device = otp_device(clinician)
    client = Client()
    _sign_in(client, clinician)
    wrong = "000000" if _code(device) != "000000" else "111111"
    refused = client.post("/accounts/2fa/", {"code": wrong})
    assert refused.status_code == 400 and "Check the time on your phone" in refused.content.decode()
    # django-otp's throttle: right after a failure even the right code waits its turn.
    assert client.post("/accounts/2fa/", {"code": _code(device)}).status_code == 400
    device.refresh_from_db()
    device.throttling_failure_timestamp -= timedelta(seconds=5)
    device.save(update_fields=["throttling_failure_timestamp"])
    assert client.post("/accounts/2fa/", {"code": _code(device)})["Location"] == "/dashboard/"


def test_a_clinician_without_a_device_enrols_with_a_qr_code_and_gets_backup_codes(clinician):
    client = Client()
    response = _sign_in(client, clinician, follow=True)
    assert response.redirect_chain[-1][0].startswith("/accounts/2fa/setup/")
    page = response.content.decode()
    assert 'src="/accounts/2fa/setup/qr.svg"' in page
    qr = client.get("/accounts/2fa/setup/qr.svg")
    assert qr["Content-Type"] == "image/svg+xml" and qr.content.startswith(b"<svg")
    assert "no-store" in qr["Cache-Control"]
    key = re.search(r'class="otp-key">([A-Z2-7 ]+)<', page)[1].replace(" ", "")
    secret = base64.b32decode(key + "=" * (-len(key) % 8))
    done = client.post("/accounts/2fa/setup/", {"code": f"{totp(secret):06d}"})
    assert done.status_code == 200
    codes = re.findall(r"<li><code>([a-z0-9]+)</code></li>", done.content.decode())
    assert len(codes) == 10
    assert TOTPDevice.objects.get(user=clinician).confirmed
    assert client.get("/dashboard/").status_code == 200
    # The key is shown once: the QR code URL has nothing to give any more.
    assert client.get("/accounts/2fa/setup/qr.svg").status_code == 404


def test_a_backup_code_works_once(clinician):
    otp_device(clinician)
    from clinic.staff.services import backup_codes_issue

    code = backup_codes_issue(user=clinician)[0]
    first = Client()
    _sign_in(first, clinician)
    assert first.post("/accounts/2fa/", {"code": code})["Location"] == "/dashboard/"
    second = Client()
    _sign_in(second, clinician)
    assert second.post("/accounts/2fa/", {"code": code}).status_code == 400
    assert StaticToken.objects.filter(device__user=clinician).count() == 9


def test_the_admin_sign_in_page_is_not_a_way_around_the_second_factor(admin_user):
    otp_device(admin_user)
    client = Client()
    # /admin/login/ has no form of its own: it hands over to the staff sign-in.
    assert client.get("/admin/login/")["Location"].startswith("/accounts/login/")
    posted = client.post(
        "/admin/login/?next=/admin/", {"username": admin_user.username, "password": PASSWORD}
    )
    assert posted.status_code == 302 and "_auth_user_id" not in client.session
    _sign_in(client, admin_user)
    assert client.get("/admin/")["Location"].startswith("/accounts/2fa/")
    assert client.get("/admin/clinic/patient/")["Location"].startswith("/accounts/2fa/")
    # Even if the middleware were bypassed, the admin site itself asks for the second factor.
    from django.contrib import admin

    request = type("R", (), {"user": client.get("/").wsgi_request.user})()
    assert not admin.site.has_permission(request)


def test_a_password_alone_can_not_enrol_another_phone(clinician):
    otp_device(clinician)
    client = Client()
    _sign_in(client, clinician)
    assert client.get("/accounts/2fa/setup/")["Location"].startswith("/accounts/2fa/?next=")
    assert not TOTPDevice.objects.filter(user=clinician, confirmed=False).exists()


def test_front_desk_needs_the_second_factor_too_by_default(front_desk):
    client = Client()
    assert _sign_in(client, front_desk)["Location"] != "/dashboard/appointments/"
    assert client.get("/dashboard/appointments/").status_code == 302  # not before the code


def test_a_clinic_may_let_front_desk_sign_in_with_a_password_alone(front_desk, settings):
    settings.STAFF_2FA_ROLES = ["clinician", "clinic_admin"]
    client = Client()
    assert _sign_in(client, front_desk)["Location"] == "/dashboard/appointments/"
    assert client.get("/dashboard/appointments/").status_code == 200


def test_signing_in_makes_a_new_session_id_at_each_step(clinician):
    device = otp_device(clinician)
    client = Client()
    client.get("/accounts/login/")
    session = client.session
    session["probe"] = 1
    session.save()
    before = client.session.session_key
    _sign_in(client, clinician)
    after_password = client.session.session_key
    client.post("/accounts/2fa/", {"code": _code(device)})
    after_code = client.session.session_key
    assert len({before, after_password, after_code}) == 3


def test_next_after_the_code_stays_on_this_site(clinician):
    device = otp_device(clinician)
    client = Client()
    _sign_in(client, clinician)
    response = client.post(
        "/accounts/2fa/", {"code": _code(device), "next": "https://evil.example/"}
    )
    assert response["Location"] == "/dashboard/"
    query = parse_qs(urlsplit(_sign_in(Client(), clinician)["Location"]).query)
    assert query["next"] == ["/dashboard/"]
