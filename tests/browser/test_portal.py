"""A patient on a phone: the link, the identity check, save and resume, the handout."""

from datetime import date

import pytest
from django.utils import timezone

from clinic.review.models import Case
from intake.links.services import link_issue
from intake.questionnaires.services import definition_for, questionnaire_default
from tests.browser.conftest import answer_page, fill_birth_date, sign_in
from tests.conftest import DESKTOP, PHONE
from tests.factories import AppointmentFactory, PatientFactory
from tests.portal_support import page_posts
from tests.vignette_answers import VIGNETTES

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def seeded_link(approved_content):
    patient = PatientFactory(date_of_birth=timezone.localdate().replace(year=1984, month=3, day=14))
    appointment = AppointmentFactory(patient=patient)
    _, token = link_issue(appointment=appointment)
    return f"/p/{token}/", patient


def _verify(page, day):
    fill_birth_date(page, date.fromisoformat(day))


def test_patient_fails_the_check_once_resumes_after_closing_and_sees_the_handout(
    live_server, browser, seeded_link, shoot
):
    from tests.conftest import PHONE

    path, patient = seeded_link
    definition = definition_for(questionnaire_default())
    posts = page_posts(definition, VIGNETTES["V13"]["answers"])

    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.goto(live_server.url + path)
    assert page.url.endswith("/p/verify/")  # the token left the address bar
    shoot(page, "portal-verify-phone")
    _verify(page, "1990-01-01")
    assert page.get_by_role("alert").is_visible()
    assert "confirm your details" in page.get_by_role("alert").inner_text()
    _verify(page, patient.date_of_birth.isoformat())
    assert "Step 1 of" in page.inner_text("body")
    for page_id, data in posts[:2]:
        assert f"/p/q/{page_id}/" in page.url
        answer_page(page, data)
        if page_id == "page-reason":
            shoot(page, "portal-question-phone")
        page.get_by_role("button", name="Next").click()
    context.close()  # the patient closes the browser

    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.goto(live_server.url + path)
    _verify(page, patient.date_of_birth.isoformat())
    third = posts[2][0]
    assert f"/p/q/{third}/" in page.url  # resumed on the first unanswered page
    page.get_by_role("button", name="Back").click()
    assert page.locator('[name="urgent-now"][value="none"]').is_checked()
    page.get_by_role("button", name="Next").click()
    for page_id, data in posts[2:]:
        assert f"/p/q/{page_id}/" in page.url, page.url
        answer_page(page, data)
        if page_id == "page-details":
            shoot(page, "portal-details-phone")
        page.get_by_role("button", name="Next").click()
    assert "Check your answers" in page.inner_text("h1")
    shoot(page, "portal-review-phone")
    page.get_by_role("button", name="Send my answers").click()
    page.wait_for_url("**/p/done/")
    body = page.inner_text("body")
    assert "Your answers were sent" in body
    assert "magnesium" in body and "When to get care now" in body
    shoot(page, "portal-handout-phone")
    shoot(page, "portal-handout-phone-top", full_page=False)
    context.close()


def test_an_emergency_answer_shows_the_emergency_screen_at_once(
    live_server, phone_page, seeded_link, shoot
):
    path, patient = seeded_link
    phone_page.goto(live_server.url + path)
    _verify(phone_page, patient.date_of_birth.isoformat())
    phone_page.locator('[name="reason"][value="headache"]').check()
    phone_page.get_by_role("button", name="Next").click()
    follow_up = phone_page.locator('[name="chest-pain-with"][value="heavy"]')
    assert not follow_up.is_visible()  # asked only once chest pain is ticked
    phone_page.locator('[name="urgent-now"][value="chest-pain"]').check()
    assert follow_up.is_visible()
    follow_up.check()
    phone_page.locator('[name="chest-pain-with"][value="sweating"]').check()
    phone_page.locator('[name="chest-pain-minutes"][value="over-15"]').check()
    phone_page.get_by_role("button", name="Next").click()
    phone_page.wait_for_url("**/p/emergency/")
    heading = phone_page.get_by_role("heading", level=1).inner_text()
    assert "Please call" in heading and "911" in heading
    shoot(phone_page, "portal-emergency-phone")


def test_errors_are_summarised_and_linked_to_their_fields(live_server, phone_page, seeded_link):
    path, patient = seeded_link
    phone_page.goto(live_server.url + path)
    _verify(phone_page, patient.date_of_birth.isoformat())
    phone_page.get_by_role("button", name="Next").click()  # nothing chosen
    summary = phone_page.locator("#error-summary")
    assert summary.is_visible()
    field = phone_page.locator('[name="reason"]').first
    described = field.get_attribute("aria-describedby") or ""
    fieldset_error = phone_page.locator("[id^=error_]").first
    assert fieldset_error.is_visible()
    assert described or phone_page.locator("[aria-invalid=true]").count() > 0


def test_a_soon_finding_is_told_to_the_patient_and_queued_for_the_clinic(
    live_server, browser, seeded_link, shoot, clinician
):
    """V44 (both ankles swollen for 3 weeks) clicked through on a phone: the clinic will be in
    touch within 2 working days, and the clinician's queue shows the case as soon."""

    path, patient = seeded_link
    definition = definition_for(questionnaire_default())
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.goto(live_server.url + path)
    _verify(page, patient.date_of_birth.isoformat())
    for page_id, data in page_posts(definition, VIGNETTES["V44"]["answers"]):
        assert f"/p/q/{page_id}/" in page.url, page.url
        answer_page(page, data)
        if page_id == "page-urgent":
            shoot(page, "portal-urgent-phone")
        page.get_by_role("button", name="Next").click()
    page.get_by_role("button", name="Send my answers").click()
    page.wait_for_url("**/p/done/")
    body = page.inner_text("body")
    assert "will contact you within 2 working days" in body
    assert "Swollen legs or ankles" in body
    shoot(page, "portal-done-soon-phone", full_page=False)
    context.close()

    case = Case.objects.get(appointment__patient=patient)
    assert case.level == "soon"
    context = browser.new_context(viewport=DESKTOP)
    desk = context.new_page()
    sign_in(desk, live_server.url, clinician)
    desk.wait_for_url("**/dashboard/")
    badge = desk.locator(f'tr[data-case="{case.pk}"] .badge.level-soon')
    assert badge.inner_text() == "Soon"
    shoot(desk, "dashboard-queue-soon-desktop")
    context.close()


def test_a_patient_under_16_sees_no_questions(live_server, phone_page, shoot):

    today = date.today()
    born = date(today.year - 14, today.month, min(today.day, 28))
    patient = PatientFactory(date_of_birth=born)
    _, token = link_issue(appointment=AppointmentFactory(patient=patient))
    phone_page.goto(live_server.url + f"/p/{token}/")
    assert "for adults (16 and over)" in phone_page.inner_text("body")
    _verify(phone_page, born.isoformat())
    assert "Please contact" in phone_page.get_by_role("heading", level=1).inner_text()
    assert phone_page.locator('[name="reason"]').count() == 0
    shoot(phone_page, "portal-too-young-phone", full_page=False)


def test_choices_are_big_tappable_rows_and_severity_is_a_row_of_numbers(
    live_server, phone_page, seeded_link, shoot
):
    path, patient = seeded_link
    page = phone_page
    page.goto(live_server.url + path)
    _verify(page, patient.date_of_birth.isoformat())
    answer_page(page, {"reason": ["headache"]})
    page.get_by_role("button", name="Next").click()
    page.get_by_role("button", name="Next").click()  # nothing to check first: an error
    answer_page(page, {"urgent-now": ["none"]})
    page.get_by_role("button", name="Next").click()
    page.wait_for_url("**/p/q/page-symptoms/")
    assert page.locator('input[name="severity"][type="number"]').count() == 0
    numbers = page.locator('input[name="severity"][type="radio"]')
    assert [numbers.nth(i).get_attribute("value") for i in range(numbers.count())] == [
        str(n) for n in range(11)
    ]
    # WCAG 2.2 target size, and the 48 px a phone user's thumb needs: every option row and
    # every number, measured as drawn at 390 px.
    shown = [option for option in page.locator(".pv-item .form-check").all() if option.is_visible()]
    assert len(shown) >= 11 + 2  # the numbers and at least the yes/no of one question
    for option in shown:
        box = option.bounding_box()
        assert box["height"] >= 48 and box["width"] >= 44, (option.inner_text(), box)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scroll
    # Tapping anywhere on a row chooses it; a number is chosen by tapping it.
    page.locator('label[for="id_since_1"]').click(position={"x": 300, "y": 10})
    assert page.locator("#id_since_1").is_checked()
    page.locator("#id_severity_6").click()
    assert page.locator("#id_severity_6").is_checked()
    shoot(page, "portal-symptoms-phone")
