"""Automatic logoff: idle limits per role, the absolute limit, and sessions ended by the account."""

import time

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from clinic.staff.sessions import SESSION_STARTED, STAFF_SEEN
from tests.conftest import SignedInClient

pytestmark = pytest.mark.django_db


@pytest.fixture
def portal(client, appointment, patient):
    """A browser that opened the patient's link and confirmed the date of birth."""
    from intake.links.services import link_issue

    _, token = link_issue(appointment=appointment)
    client.get(f"/p/{token}/")
    client.post("/p/verify/", {"date_of_birth": patient.date_of_birth.isoformat()})
    return client


def _age_session(client, key: str, seconds: float) -> None:
    session = client.session
    session[key] = time.time() - seconds
    session.save()


def test_staff_are_signed_out_after_fifteen_idle_minutes(client, clinician, settings):
    client.force_login(clinician)
    assert client.get("/dashboard/").status_code == 200
    _age_session(client, STAFF_SEEN, settings.STAFF_IDLE_MINUTES * 60 + 1)
    response = client.get("/dashboard/", follow=True)
    assert response.redirect_chain[0][0].startswith("/accounts/login/?next=/dashboard/")
    assert "signed out after 15 minutes without activity" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_staff_member_still_working_stays_signed_in(client, clinician, settings):
    client.force_login(clinician)
    client.get("/dashboard/")
    _age_session(client, STAFF_SEEN, settings.STAFF_IDLE_MINUTES * 60 - 60)
    assert client.get("/dashboard/appointments/").status_code == 200
    assert time.time() - client.session[STAFF_SEEN] < 5  # the click counted as activity


def test_htmx_polling_does_not_keep_an_unattended_dashboard_signed_in(client, clinician, settings):
    client.force_login(clinician)
    client.get("/dashboard/")
    _age_session(client, STAFF_SEEN, settings.STAFF_IDLE_MINUTES * 60 - 60)
    for _ in range(3):  # the queue and the bell refreshing themselves
        client.get("/dashboard/", HTTP_HX_REQUEST="true")
        client.get("/dashboard/notifications/bell/?seen=0", HTTP_HX_REQUEST="true")
    _age_session(client, STAFF_SEEN, settings.STAFF_IDLE_MINUTES * 60 + 1)
    poll = client.get(
        "/dashboard/",
        HTTP_HX_REQUEST="true",
        HTTP_HX_CURRENT_URL="http://testserver/dashboard/?level=emergency",
    )
    # The whole page goes to the sign-in, which brings the clinician back to the same filters.
    assert poll.status_code == 204
    assert poll["HX-Redirect"] == "/accounts/login/?next=/dashboard/%3Flevel%3Demergency"


def test_the_idle_limit_is_a_setting(client, clinician, settings):
    settings.STAFF_IDLE_MINUTES = 2
    client.force_login(clinician)
    client.get("/dashboard/")
    _age_session(client, STAFF_SEEN, 121)
    assert client.get("/dashboard/").status_code == 302


def test_a_session_ends_twelve_hours_after_it_began_however_busy(client, clinician, settings):
    assert settings.SESSION_COOKIE_AGE == 12 * 60 * 60
    client.force_login(clinician)
    client.get("/dashboard/")
    _age_session(client, SESSION_STARTED, settings.SESSION_COOKIE_AGE + 1)
    response = client.get("/dashboard/")
    assert response["Location"].startswith("/accounts/login/")
    assert "_auth_user_id" not in client.session


def test_a_patient_session_also_ends_twelve_hours_after_it_began(portal, settings):
    assert portal.get("/p/start/").status_code == 302
    _age_session(portal, SESSION_STARTED, settings.SESSION_COOKIE_AGE + 1)
    assert portal.get("/p/start/").status_code == 403  # open the link again


def test_patients_are_asked_again_after_thirty_idle_minutes(portal, settings):
    from intake.portal.views import SESSION_SEEN

    assert settings.PATIENT_IDLE_MINUTES == 30
    _age_session(portal, SESSION_SEEN, 30 * 60 + 1)
    response = portal.get("/p/start/")
    assert response["Location"] == "/p/verify/"


def test_changing_the_password_ends_the_other_sessions(clinician):
    elsewhere = SignedInClient()
    elsewhere.force_login(clinician)
    assert elsewhere.get("/dashboard/").status_code == 200
    here = SignedInClient()
    here.force_login(clinician)
    # Django's own password change keeps the session that made it.
    changed = here.post(
        "/admin/password_change/",
        {
            "old_password": "correct-horse-battery",
            "new_password1": "violet-kettle-harbour-9",
            "new_password2": "violet-kettle-harbour-9",
        },
    )
    assert changed.status_code == 302
    assert here.get("/dashboard/").status_code == 200
    assert elsewhere.get("/dashboard/")["Location"].startswith("/accounts/login/")


def test_a_password_set_by_an_admin_ends_every_session(clinician):
    elsewhere = SignedInClient()
    elsewhere.force_login(clinician)
    user = get_user_model().objects.get(pk=clinician.pk)
    user.set_password("violet-kettle-harbour-9")
    user.save()
    assert elsewhere.get("/dashboard/")["Location"].startswith("/accounts/login/")


def test_deactivating_an_account_ends_its_sessions(clinician, admin_user):
    elsewhere = SignedInClient()
    elsewhere.force_login(clinician)
    assert elsewhere.get("/dashboard/").status_code == 200
    get_user_model().objects.filter(pk=clinician.pk).update(is_active=False)
    assert elsewhere.get("/dashboard/")["Location"].startswith("/accounts/login/")
    # And the password no longer opens a new one.
    signed = Client().post(
        "/accounts/login/", {"username": clinician.username, "password": "correct-horse-battery"}
    )
    assert signed.status_code == 200
