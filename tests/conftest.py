"""Persona fixtures, so access rules read like sentences, and the browser fixture."""

import os
from pathlib import Path

import pytest
from django.test import Client

from clinic.staff.roles import Role
from tests.factories import AppointmentFactory, PatientFactory, UserFactory
from tests.fakes import RedisServer, SmtpRecorder, WebhookReceiver, celery_broker

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
CHROMIUM = os.environ.get("PREVISIT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}


class SignedInClient(Client):
    """Django's test client, whose `force_login` signs in all the way: password and TOTP code.

    Like `force_login` itself this skips the forms; tests of the sign-in (lockout, the second
    factor, enrolment) use the real pages with a plain `Client()`. A user who needs a second
    factor gets a confirmed TOTP device, and the session is marked as verified by it, exactly
    as django-otp does after a correct code.
    """

    def force_login(self, user, backend=None):
        super().force_login(user, backend)
        from clinic.staff.second_factor import needs_second_factor

        if needs_second_factor(user):
            otp_verify_session(self, user)


def otp_device(user):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name="Test phone", confirmed=True)


def otp_verify_session(client, user):
    from django_otp import DEVICE_ID_SESSION_KEY

    session = client.session
    session[DEVICE_ID_SESSION_KEY] = otp_device(user).persistent_id
    session.save()


@pytest.fixture
def client():
    return SignedInClient()


@pytest.fixture
def patient(db):
    return PatientFactory()


@pytest.fixture
def other_patient(db):
    return PatientFactory(first_name="Other")


@pytest.fixture
def appointment(patient):
    return AppointmentFactory(patient=patient)


@pytest.fixture
def clinician(db):
    return UserFactory(username="clin", role=Role.CLINICIAN.value)


@pytest.fixture
def other_clinician(db):
    return UserFactory(username="clin2", role=Role.CLINICIAN.value)


@pytest.fixture
def front_desk(db):
    return UserFactory(username="desk", role=Role.FRONT_DESK.value)


@pytest.fixture
def admin_user(db):
    user = UserFactory(username="boss", role=Role.CLINIC_ADMIN.value)
    user.is_superuser = True
    user.save()
    return user


# --- Browser ----------------------------------------------------------------------------------


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def browser():
    # Playwright's sync API runs an event loop in this thread; Django's ORM calls made by the
    # test itself (not by the live server) would otherwise refuse to run.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


def _new_page(browser, request, viewport):
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        shot = ARTIFACTS / f"{request.node.name}.png"
        page.screenshot(path=str(shot), full_page=True)
        print(f"\nbrowser test failed; screenshot saved to {shot}")
    context.close()


@pytest.fixture
def phone_page(browser, request):
    yield from _new_page(browser, request, PHONE)


@pytest.fixture
def desktop_page(browser, request):
    yield from _new_page(browser, request, DESKTOP)


@pytest.fixture(autouse=True)
def _empty_cache():
    from django.core.cache import cache

    cache.clear()


# --- Servers outside our control, faked with real ones on this machine (tests/fakes.py) -------


@pytest.fixture(scope="module")
def redis_server():
    server = RedisServer().start()
    yield server
    server.stop()


@pytest.fixture
def broker(redis_server):
    """This process publishes to a private Redis, emptied before and after each test."""
    redis_server.client().flushall()
    with celery_broker(redis_server.url):
        yield redis_server
    if redis_server._process is None:  # a test stopped it and failed before restarting it
        redis_server.start()
    redis_server.client().flushall()


@pytest.fixture
def smtp(settings):
    recorder = SmtpRecorder().start()
    for key, value in recorder.email_settings().items():
        setattr(settings, key, value)
    yield recorder
    recorder.stop()


@pytest.fixture
def hooks():
    receiver = WebhookReceiver().start()
    yield receiver
    receiver.stop()
