"""The outbox and the webhook endpoints in the admin."""

import pytest
from django.contrib.admin.models import LogEntry
from django.utils import timezone

from clinic.notifications.models import (
    Notification,
    WebhookEndpoint,
)
from clinic.notifications.outbox import notification_retry
from clinic.staff.roles import Role
from tests.factories import UserFactory
from tests.notifications_support import (
    email_of,
    flag,
    queued_ids,
)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("persona", ["admin_user", "clinic_admin"])
def test_the_admin_lists_a_failed_notification_and_retries_it(
    client, failed, persona, request, broker, django_capture_on_commit_callbacks
):
    if persona == "admin_user":
        user = request.getfixturevalue("admin_user")
    else:
        user = UserFactory(username="office", role=Role.CLINIC_ADMIN.value)
    client.force_login(user)
    listing = client.get("/admin/clinic/notification/?status__exact=failed")
    assert listing.status_code == 200
    assert f'value="{failed.pk}"' in listing.content.decode()
    detail = client.get(f"/admin/clinic/notification/{failed.pk}/change/")
    assert b"SMTP 451: Try again later" in detail.content
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/clinic/notification/",
            {"action": "retry", "_selected_action": [failed.pk]},
            follow=True,
        )
    assert b"1 notification(s) queued again" in response.content
    failed.refresh_from_db()
    assert (failed.status, failed.attempts, failed.retry_round) == ("pending", 0, 1)
    entry = LogEntry.objects.get(object_id=str(failed.pk))
    assert entry.user == user and "Retry requested" in entry.get_change_message()
    assert queued_ids(broker) == [failed.pk]


def test_retrying_a_notification_that_did_not_fail_changes_nothing(client, admin_user, clinician):
    sent = email_of(flag(), clinician)
    Notification.objects.filter(pk=sent.pk).update(status="sent", sent_at=timezone.now())
    client.force_login(admin_user)
    response = client.post(
        "/admin/clinic/notification/",
        {"action": "retry", "_selected_action": [sent.pk]},
        follow=True,
    )
    assert b"had not failed; left alone" in response.content
    assert Notification.objects.get(pk=sent.pk).status == "sent"
    assert notification_retry(notification_ids=[sent.pk, 999999], by=admin_user) == 0


def test_notifications_cannot_be_edited_added_or_deleted_in_the_admin(client, admin_user, failed):
    client.force_login(admin_user)
    assert client.get("/admin/clinic/notification/add/").status_code == 403
    page = client.post(f"/admin/clinic/notification/{failed.pk}/change/", {"status": "sent"})
    assert page.status_code == 403
    assert client.post(f"/admin/clinic/notification/{failed.pk}/delete/").status_code == 403
    assert Notification.objects.get(pk=failed.pk).status == "failed"


def test_clinicians_and_front_desk_cannot_retry_notifications(
    client, clinician, front_desk, failed
):
    for user in (clinician, front_desk):
        client.force_login(user)
        assert client.get("/admin/clinic/notification/").status_code == 403
        client.post(
            "/admin/clinic/notification/", {"action": "retry", "_selected_action": [failed.pk]}
        )
    assert Notification.objects.get(pk=failed.pk).status == "failed"


def test_a_webhook_is_added_in_the_admin_and_its_secret_never_shown_back(client, admin_user):
    client.force_login(admin_user)
    secret = "a-long-shared-secret-7f3k"
    response = client.post(
        "/admin/clinic/webhookendpoint/add/",
        {"name": "Team chat", "url": "https://chat.example.org/hooks/1", "active": "on",
         "new_secret": secret},
    )  # fmt: skip
    assert response.status_code == 302, response.content[:2000]
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.secret == secret
    listing = client.get("/admin/clinic/webhookendpoint/").content.decode()
    change = client.get(f"/admin/clinic/webhookendpoint/{endpoint.pk}/change/").content.decode()
    for page in (listing, change):
        assert secret not in page
        assert "…7f3k" in page
    # Saving without a new secret keeps the old one.
    client.post(
        f"/admin/clinic/webhookendpoint/{endpoint.pk}/change/",
        {"name": "Team chat", "url": "https://chat.example.org/hooks/2", "active": "on"},
    )
    endpoint.refresh_from_db()
    assert endpoint.secret == secret and endpoint.url.endswith("/2")


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"url": "http://chat.example.org/h", "new_secret": "x" * 20}, "Use an https:// address"),
        ({"url": "ftp://chat.example.org/h", "new_secret": "x" * 20}, "Use an https:// address"),
        ({"url": "https://chat.example.org/h", "new_secret": "short"}, "at least 16"),
        ({"url": "https://chat.example.org/h", "new_secret": ""}, "Set a secret"),
        ({"url": "not a url", "new_secret": "x" * 20}, "Enter a valid URL"),
    ],
)
def test_a_bad_webhook_is_refused_with_a_reason(client, admin_user, data, error):
    client.force_login(admin_user)
    response = client.post("/admin/clinic/webhookendpoint/add/", {"name": "Chat", **data})
    assert response.status_code == 200
    assert error in response.content.decode()
    assert not WebhookEndpoint.objects.exists()
