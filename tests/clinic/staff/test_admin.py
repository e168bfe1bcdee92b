"""The duty roster in the admin."""

import pytest

from clinic.staff.models import StaffProfile

pytestmark = pytest.mark.django_db


def test_the_duty_roster_is_kept_in_the_admin_and_refuses_a_bad_rank(client, admin_user, clinician):
    client.force_login(admin_user)
    response = client.post(
        "/admin/clinic/staffprofile/add/",
        {"user": clinician.pk, "on_duty": "on", "escalation_rank": "1"},
    )
    assert response.status_code == 302
    assert StaffProfile.objects.get(user=clinician).on_duty
    for bad in ("-1", "0", "first", "1.5", "99999999"):
        response = client.post(
            f"/admin/clinic/staffprofile/{clinician.staff_profile.pk}/change/",
            {"user": clinician.pk, "escalation_rank": bad},
        )
        assert response.status_code == 200 and b"errornote" in response.content
    assert StaffProfile.objects.get(user=clinician).escalation_rank == 1
