"""Appointments in the admin: a new one gets its pre-visit link, shown once."""

import re

import pytest
from django.utils import timezone

from clinic.records.models import Appointment
from intake.links.models import PrevisitLink

pytestmark = pytest.mark.django_db


def test_creating_an_appointment_in_the_admin_makes_a_link(client, admin_user, patient):
    client.force_login(admin_user)
    when = timezone.localtime(timezone.now() + timezone.timedelta(days=2))
    page = client.post(
        "/admin/clinic/appointment/add/",
        {
            "patient": patient.pk,
            "starts_at_0": when.date().isoformat(),
            "starts_at_1": "10:00:00",
            "reason": "Cough",
            "status": "scheduled",
        },
        follow=True,
    )
    assert page.status_code == 200
    appointment = Appointment.objects.get(reason="Cough")
    assert PrevisitLink.objects.usable().filter(appointment=appointment).count() == 1
    link = re.search(rb"/p/[A-Za-z0-9_-]{22,}/", page.content)
    assert link, "the new link is shown once to the staff member"


def test_reissuing_a_link_in_the_admin_shows_the_new_one(client, admin_user, appointment):
    from intake.links.services import link_issue

    old, _ = link_issue(appointment=appointment)
    client.force_login(admin_user)
    page = client.post(
        "/admin/intake/previsitlink/",
        {"action": "reissue_links", "_selected_action": [str(old.pk)]},
        follow=True,
    )
    assert b"New link for" in page.content
    old.refresh_from_db()
    assert old.revoked_at is not None
