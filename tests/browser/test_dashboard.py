"""A clinician clears a case a patient flagged seconds earlier, without reloading the queue."""

import pytest

from clinic.review.models import Case, CaseEvent
from clinic.review.services import case_flag
from intake.links.services import link_issue
from tests.browser.conftest import sign_in
from tests.factories import AppointmentFactory, PatientFactory, reason
from tests.security.support import submit_vignette

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _sign_in(page, base, user):
    # The password, then the authenticator app: this clinician enrols on the way.
    sign_in(page, base, user)
    page.wait_for_url("**/dashboard/")


def test_a_flagged_case_appears_and_is_acknowledged_noted_and_resolved(
    live_server, desktop_page, clinician, settings, client, shoot
):
    settings.DASHBOARD_POLL_SECONDS = 1
    page = desktop_page
    _sign_in(page, live_server.url, clinician)
    assert "No open flagged cases" in page.inner_text("#queue")

    # A patient, elsewhere, reports chest pain with sweating.
    patient = PatientFactory(last_name="Flagged")
    appointment = AppointmentFactory(patient=patient)
    _, token = link_issue(appointment=appointment)
    client.get(f"/p/{token}/")
    client.post("/p/verify/", {"date_of_birth": patient.date_of_birth.isoformat()})
    client.post("/p/q/page-reason/", {"reason": ["headache"], "action": "next"})
    client.post(
        "/p/q/page-urgent/",
        {
            "urgent-now": ["chest-pain"],
            "chest-pain-with": ["sweating"],
            "chest-pain-minutes": "over-15",
            "action": "next",
        },
    )

    row = page.locator("#queue tr", has_text="Flagged")
    row.wait_for(timeout=15_000)  # no reload: the queue refreshes itself
    page.locator("#new-emergency").wait_for(state="visible", timeout=5_000)
    assert "new emergency" in page.locator("#announcer").inner_text().lower()
    shoot(page, "dashboard-queue-desktop")
    row.get_by_role("link").click()
    page.wait_for_url("**/dashboard/cases/*/")
    assert "chest pain" in page.inner_text("body").lower()

    page.get_by_role("button", name="Acknowledge and take ownership").click()
    assert "Case acknowledged" in page.inner_text("body")
    page.get_by_label("Note").fill("Called the patient; ambulance on the way.")
    page.get_by_role("button", name="Add note").click()
    assert "Note added" in page.inner_text("body")
    page.get_by_label("Sent to emergency care").check()
    page.get_by_role("button", name="Resolve").click()
    assert "Case resolved" in page.inner_text("body")
    shoot(page, "dashboard-case-desktop")

    history = page.locator("ol.timeline").inner_text()
    for label in ("Flagged", "Acknowledged", "Note added", "Resolved"):
        assert label in history
    actions = list(CaseEvent.objects.order_by("at").values_list("action", "at"))
    assert [a for a, _ in actions] == ["flagged", "acknowledged", "note", "resolved"]
    assert all(at is not None for _, at in actions)


def test_the_queue_on_a_phone_is_cards_without_sideways_scroll(
    live_server, phone_page, clinician, shoot
):
    for last, level in (("Emergencyperson", "emergency"), ("Urgentperson", "urgent")):
        appointment = AppointmentFactory(patient=PatientFactory(last_name=last))
        case_flag(appointment=appointment, level=level, reasons=LONG_REASONS)
    page = phone_page
    _sign_in(page, live_server.url, clinician)
    page.locator("#queue tr", has_text="Emergencyperson").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    card = page.locator("#queue tbody tr").first
    assert card.evaluate("row => getComputedStyle(row).display") == "block"
    reasons = card.locator("td.reasons")
    # The reasons get the card's width: no word-per-line column.
    assert reasons.bounding_box()["width"] > 200
    waiting = card.locator('td[data-label="Waiting"]')
    assert "min" in waiting.inner_text()
    label = waiting.evaluate("cell => getComputedStyle(cell, '::before').content")
    assert label == '"Waiting"'  # each cell says what it is
    shoot(page, "dashboard-queue-phone")


LONG_REASONS = [
    reason(
        rule_id="chest",
        level="emergency",
        text="Chest pain with sweating, lasting more than 15 minutes",
        evidence={"urgent-now": ["chest-pain"]},
    ),
    reason(rule_id="breath", level="urgent", text="Short of breath at rest", evidence={}),
]


def test_copy_for_the_note_puts_the_summary_on_the_clipboard(
    live_server, desktop_page, clinician, shoot
):
    appointment = AppointmentFactory(patient=PatientFactory(last_name="Summarised"))
    submit_vignette(appointment, "V07")
    case = Case.objects.get(appointment=appointment)
    page = desktop_page
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    _sign_in(page, live_server.url, clinician)
    page.goto(live_server.url + f"/dashboard/cases/{case.pk}/")
    page.get_by_role("button", name="Copy for the note").click()
    page.get_by_text("Copied. Paste it into the patient's note.").wait_for()
    copied = page.evaluate("() => navigator.clipboard.readText()")
    assert copied == page.locator("#summary-text").input_value()
    assert copied.startswith("Pre-visit summary") and "State: Sent" in copied
    shoot(page, "dashboard-case-desktop")
    # Each line's answers are a button away, and lead to the answer.
    sources = page.locator(".pv-sources a").first
    assert not sources.is_visible()
    page.get_by_role("button", name="Show where each line comes from").click()
    sources.click()
    assert page.url.split("#")[1].startswith("answer-")
