"""The bell on every staff page and the list behind it."""

import pytest
from django.urls import reverse

from clinic.notifications.inbox import unread_count
from clinic.notifications.models import (
    Notification,
)
from clinic.review.services import case_acknowledge, case_resolve
from tests.factories import UserFactory
from tests.notifications_support import (
    HEALTH_WORDS,
    PATIENT_FIRST,
    PATIENT_LAST,
    flag,
    on_duty,
)

pytestmark = pytest.mark.django_db


# --- The bell and the list ----------------------------------------------------------------------


def test_every_staff_page_shows_the_bell_with_the_unread_count(client, clinician):
    on_duty(clinician)
    flag()
    flag("urgent")
    client.force_login(clinician)
    for url in ("/dashboard/", "/dashboard/appointments/"):
        page = client.get(url).content.decode()
        assert 'id="notification-bell"' in page
        assert 'data-unread="2"' in page and "Notifications: 2 unread" in page
        assert 'hx-trigger="every 10s"' in page


def test_the_bell_answers_204_when_nothing_changed_and_announces_a_rise(client, clinician):
    on_duty(clinician)
    flag()
    client.force_login(clinician)
    url = reverse("notifications:bell")
    same = client.get(url, {"seen": 1}, headers={"HX-Request": "true"})
    assert same.status_code == 204
    rose = client.get(url, {"seen": 0}, headers={"HX-Request": "true"})
    body = rose.content.decode()
    assert rose.status_code == 200 and 'data-unread="1"' in body
    assert 'hx-swap-oob="innerHTML"' in body and "New notification. 1 unread." in body
    assert rose["Cache-Control"].startswith("no-store")


def test_in_the_app_a_notification_names_the_patient_and_the_cases_state_and_clears_itself(
    client, clinician, other_clinician
):
    on_duty(clinician, other_clinician)
    case = flag()
    client.force_login(clinician)
    listed = client.get("/dashboard/notifications/").content.decode()
    assert case.appointment.patient.full_name in listed
    assert '<span class="badge status-new">New' in listed
    assert unread_count(user=clinician) == unread_count(user=other_clinician) == 1
    case = case_acknowledge(case_id=case.pk, expected_version=case.version, clinician=clinician)
    # Someone has it: nobody's bell asks for it any more.
    assert unread_count(user=clinician) == unread_count(user=other_clinician) == 0
    listed = client.get("/dashboard/notifications/").content.decode()
    assert "Acknowledged · " in listed
    assert '<span class="badge text-bg-dark">New</span>' not in listed
    case_resolve(
        case_id=case.pk,
        expected_version=case.version,
        clinician=clinician,
        disposition="contacted",
        note="",
    )
    assert "Resolved" in client.get("/dashboard/notifications/").content.decode()


@pytest.mark.parametrize("seen", ["abc", "-1", "1.5", "99999999999"])
def test_the_bell_refuses_a_malformed_count(client, clinician, seen):
    client.force_login(clinician)
    response = client.get(reverse("notifications:bell"), {"seen": seen})
    assert response.status_code == 400


def test_the_bell_and_the_list_are_for_signed_in_staff_only(client, front_desk, db):
    url = reverse("notifications:bell")
    anonymous = client.get(url, headers={"HX-Request": "true"})
    assert anonymous.status_code == 204 and anonymous["HX-Refresh"] == "true"
    assert client.get(url)["Location"].startswith("/accounts/login/")
    assert client.get("/dashboard/notifications/")["Location"].startswith("/accounts/login/")
    assert client.post(url).status_code == 405
    client.force_login(UserFactory(username="no-role"))
    assert client.get(url).status_code == 403
    assert client.get("/dashboard/notifications/").status_code == 403
    client.force_login(front_desk)
    assert client.get(url).status_code == 200
    assert client.get("/dashboard/notifications/", {"page": "x' OR 1=1"}).status_code == 200
    refused = client.post("/dashboard/notifications/")
    assert refused.status_code == 400
    assert "There was nothing to mark as read." in refused.content.decode()


def test_the_list_shows_only_my_notifications_without_clinical_details_and_marks_them_read(
    client, clinician, other_clinician
):
    on_duty(clinician, other_clinician)
    case = flag()
    client.force_login(clinician)
    page = client.get("/dashboard/notifications/").content.decode()
    assert f"Emergency case {case.pk} flagged" in page
    assert f'href="/dashboard/cases/{case.pk}/"' in page
    assert "New" in page
    # Signed in, the list names the patient (as the queue does); what they said stays on the
    # case page, and emails and webhooks carry neither.
    assert f"{PATIENT_FIRST} {PATIENT_LAST}" in page
    for word in HEALTH_WORDS:
        if word not in (PATIENT_FIRST, PATIENT_LAST):
            assert word not in page
    assert page.count("data-notification=") == 1
    # Looking writes nothing: reading is the reader's choice.
    assert Notification.objects.in_app_for(clinician).unread().count() == 1
    mine = Notification.objects.in_app_for(clinician).get()
    theirs = Notification.objects.in_app_for(other_clinician).get()
    done = client.post("/dashboard/notifications/", {"shown": [mine.pk]})
    assert done.status_code == 302
    assert not Notification.objects.in_app_for(clinician).unread().exists()
    assert Notification.objects.in_app_for(other_clinician).unread().count() == 1
    assert 'data-unread="0"' in client.get("/dashboard/").content.decode()
    # Someone else's notification can't be marked through my list.
    refused = client.post("/dashboard/notifications/", {"shown": [theirs.pk]})
    assert refused.status_code == 400
    assert "not in your list" in refused.content.decode()
    assert Notification.objects.in_app_for(other_clinician).unread().count() == 1


def test_an_admin_sees_a_failure_notice_linking_to_the_admin(client, admin_user, failed):
    from clinic.notifications.failures import notify_admins_of_failure

    notify_admins_of_failure(Notification.objects.get(pk=failed.pk))
    client.force_login(admin_user)
    page = client.get("/dashboard/notifications/").content.decode()
    assert f"Notification {failed.pk} could not be delivered" in page
    assert f"/admin/clinic/notification/{failed.pk}/change/" in page
