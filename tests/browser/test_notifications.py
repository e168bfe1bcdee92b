"""A clinician's bell counts up, without a reload, when a patient's answers flag a case."""

import pytest
from playwright.sync_api import expect

from clinic.review.services import case_flag
from clinic.staff.models import StaffProfile
from clinic.staff.roles import Role
from tests.browser.conftest import sign_in
from tests.factories import AppointmentFactory, UserFactory, reason
from tests.fakes import RedisServer, celery_broker

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REASONS = [reason(rule_id="x", level="emergency", text="Chest pain", evidence={})]


@pytest.fixture
def private_broker():
    """The flag queues its emails; they go to a Redis of this test's own, not the shared one."""
    server = RedisServer().start()
    with celery_broker(server.url):
        yield server
    server.stop()


def test_the_bell_counts_up_without_a_reload_when_a_case_is_flagged(
    live_server, desktop_page, settings, private_broker, shoot
):
    settings.NOTIFICATION_BELL_POLL_SECONDS = 1
    clinician = UserFactory(username="on-call", role=Role.CLINICIAN.value)
    StaffProfile.objects.create(user=clinician, on_duty=True)
    page = desktop_page
    sign_in(page, live_server.url, clinician)  # password, then the authenticator app's code
    page.wait_for_url("**/dashboard/")

    bell = page.locator("#notification-bell a")
    expect(bell).to_have_attribute("data-unread", "0")
    expect(bell).to_have_accessible_name("Notifications: 0 unread")
    page.evaluate("window.previsitStayed = true")  # gone if the page reloads

    # A patient, elsewhere, submits answers that flag an emergency.
    case = case_flag(appointment=AppointmentFactory(), level="emergency", reasons=REASONS)

    expect(bell).to_have_attribute("data-unread", "1", timeout=10_000)
    expect(page.locator("#notification-bell .bell-count")).to_have_text("1")
    expect(page.locator("#bell-announcer")).to_have_text("New notification. 1 unread.")
    assert page.evaluate("window.previsitStayed === true"), "the page reloaded"

    bell.click()
    page.wait_for_url("**/dashboard/notifications/")
    entry = page.get_by_role("link", name=f"Emergency case {case.pk} flagged")
    expect(entry).to_be_visible()
    shoot(page, "dashboard-notifications-desktop")
    page.get_by_role("button", name="Mark 1 as read").click()
    page.wait_for_url("**/dashboard/notifications/")
    expect(page.locator("#notification-bell a")).to_have_attribute("data-unread", "0")
    entry = page.get_by_role("link", name=f"Emergency case {case.pk} flagged")
    entry.click()
    page.wait_for_url(f"**/dashboard/cases/{case.pk}/")
