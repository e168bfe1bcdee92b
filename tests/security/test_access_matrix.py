"""Every URL in the URLconf, opened by every role, answers as the access matrix says.

The URLs come from the URLconf itself (admin and included URLconfs too), so a URL added without
a rule in tests/security/access_matrix.py fails here. Path parameters are filled with real ids:
the patient's own records for the patient, a flagged case and a routine appointment for staff.
"""

import io
import re
from pathlib import Path

import pytest
from django.apps import apps
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from clinic.notifications.models import Notification, WebhookEndpoint
from clinic.review.models import Case
from clinic.staff.models import StaffProfile
from clinic.staff.roles import Role
from intake.links.models import LinkAttempt
from intake.links.services import link_issue
from intake.responses.models import IssuedHandout
from tests.conftest import SignedInClient, otp_device
from tests.factories import AppointmentFactory, PatientFactory, UserFactory
from tests.security import access_matrix
from tests.security.support import submit_vignette

pytestmark = pytest.mark.django_db

DOCS = Path(__file__).resolve().parents[2] / "docs" / "security.md"
PARAM = re.compile(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>")


def _walk(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern)


def routes() -> list[str]:
    found = []
    for route in _walk(get_resolver().url_patterns):
        if "(?P<app_label>" in route:
            route = "admin/^(?P<app_label>...)/$"
        found.append(route)
    return found


def test_every_url_in_the_urlconf_has_a_rule():
    rules = access_matrix.expected()
    missing = [route for route in routes() if route not in rules]
    assert not missing, f"URLs without a rule in tests/security/access_matrix.py: {missing}"
    stale = sorted(set(rules) - set(routes()))
    assert not stale, f"rules for URLs that no longer exist: {stale}"


def test_docs_show_the_same_matrix():
    text = DOCS.read_text(encoding="utf-8")
    assert access_matrix.markdown() in text, (
        "docs/security.md is out of date: paste the output of "
        "`.venv/bin/python -m tests.security.access_matrix` into it"
    )


# --- The world every role walks -------------------------------------------------------------


@pytest.fixture
def world(settings, tmp_path, clinician):
    settings.MEDIA_ROOT = tmp_path
    call_command("sync_content", approve_as=clinician.username, stdout=io.StringIO())
    staff = {
        "front desk": UserFactory(username="desk", role=Role.FRONT_DESK.value),
        "clinician": clinician,
        "clinic admin": UserFactory(username="office", role=Role.CLINIC_ADMIN.value),
    }
    # The patient's own appointment: submitted, flagged urgent, with its handout and PDF.
    flagged_patient = PatientFactory(last_name="Flagged")
    flagged = AppointmentFactory(patient=flagged_patient)
    submit_vignette(flagged, "V07")
    case = Case.objects.get(appointment=flagged)
    # Another patient's routine appointment, submitted, with a handout and PDF.
    routine = AppointmentFactory(patient=PatientFactory(last_name="Routine"))
    submit_vignette(routine, "V13")
    for handout in IssuedHandout.objects.all():
        handout.pdf.save(f"h{handout.pk}.pdf", ContentFile(b"%PDF-1.4 test"), save=True)
    link, token = link_issue(appointment=flagged)
    LinkAttempt.objects.create(link=link, ip_address="192.0.2.1", succeeded=True, outcome="ok")
    # A row for every model the admin shows, so each object URL opens a real record.
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    AccessAttempt.objects.create(username="x", ip_address="192.0.2.9", failures_since_start=1)
    AccessLog.objects.create(username="x", ip_address="192.0.2.9", attempt_time=timezone.now())
    AccessFailureLog.objects.create(username="x", ip_address="192.0.2.9", locked_out=False)
    WebhookEndpoint.objects.create(name="Chat", url="https://chat.example/hook", secret="s" * 20)
    StaffProfile.objects.create(user=clinician, on_duty=True)
    Notification.objects.create(
        kind="case_flagged",
        channel="in_app",
        recipient=clinician,
        case=case,
        idempotency_key="matrix",
        status="sent",
        sent_at=timezone.now(),
    )
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    for role, user in staff.items():
        if role != "front desk":  # front desk signs in with a password alone
            otp_device(user)
        # A device being set up, so the QR code URL has something to show.
        TOTPDevice.objects.create(user=user, name="New phone", confirmed=False)
    StaticDevice.objects.create(user=clinician, name="Backup codes")
    return {
        "staff": staff,
        "case": case,
        "routine": routine,
        "patient": flagged_patient,
        "token": token,
    }


def _object_id(route: str) -> str:
    app_label, model_name = route.split("/")[1:3]
    model = apps.get_model(app_label, model_name)
    return str(model._default_manager.order_by("pk").values_list("pk", flat=True).first())


def fill(route: str, world) -> str:
    from django.contrib.contenttypes.models import ContentType

    if route == "admin/^(?P<app_label>...)/$":
        return "/admin/clinic/"
    if route == "admin/(?P<url>.*)$":
        return "/admin/no-such-page/"
    values = {
        "case_id": world["case"].pk,
        "action": "acknowledge",
        "appointment_id": world["routine"].pk,
        "patient_id": world["patient"].pk,
        "page_id": "page-reason",
        "token": "not-a-real-token",
        "content_type_id": ContentType.objects.get(app_label="clinic", model="patient").pk,
        "id": world["staff"]["clinician"].pk,
        "pk": otp_device(world["staff"]["clinician"]).pk,
    }

    def value(match):
        name = match["name"]
        if name == "object_id" and not route.startswith("admin/r/"):
            return _object_id(route)
        if name == "object_id":
            return str(world["patient"].pk)
        return str(values[name])

    return "/" + PARAM.sub(value, route)


def _client_for(role: str, world) -> Client:
    if role == "anonymous":
        return Client()
    client = SignedInClient()
    if role == "verified patient":
        client.get(f"/p/{world['token']}/")
        answer = client.post(
            "/p/verify/", {"date_of_birth": world["patient"].date_of_birth.isoformat()}
        )
        assert answer.status_code == 302
        return client
    client.force_login(world["staff"][role])
    return client


@pytest.mark.parametrize("role", access_matrix.ROLES)
def test_every_url_answers_each_role_as_the_matrix_says(role, world, settings):
    settings.PREVISIT_VERIFY_PER_IP_PER_HOUR = 1000
    column = access_matrix.ROLES.index(role)
    client = _client_for(role, world)
    rules = access_matrix.expected()
    # Opening a patient link starts a new session: it goes last.
    ordered = sorted(routes(), key=lambda route: route == "p/<str:token>/")
    wrong = []
    for route in ordered:
        url = fill(route, world)
        status = client.get(url).status_code
        if status != rules[route][column]:
            wrong.append(f"{url}: {status}, expected {rules[route][column]}")
    assert not wrong, f"{role}:\n" + "\n".join(wrong)
