"""WCAG 2.2 AA on every page people use: axe-core finds no serious or critical violation.

The walks follow people: a patient on a phone through a whole visit (with an error on the way, the
emergency screen and the handout), a clinician on desktop and phone through the queue and a case,
front desk on the board and a refused page, and an admin through the admin pages staff open.
Each test reports every page's violations at once, so one run shows all there is to fix.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from clinic.review.models import Case
from intake.links.services import link_issue
from intake.questionnaires.services import definition_for, questionnaire_default
from tests.browser.accessibility import violations
from tests.browser.conftest import answer_page, fill_birth_date, sign_in
from tests.conftest import DESKTOP, PHONE
from tests.factories import AppointmentFactory, PatientFactory, UserFactory
from tests.portal_support import page_posts
from tests.security.support import submit_vignette
from tests.vignette_answers import VIGNETTES

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


class Audit:
    """Runs axe on each page it is shown and keeps every failure for one report at the end."""

    def __init__(self):
        self.failures: list[str] = []
        self.pages = 0

    def check(self, page, where: str, *, focus_starts_at_heading: bool = False) -> None:
        page.wait_for_load_state("networkidle")
        self.pages += 1
        if focus_starts_at_heading:
            # A new page is announced by its heading, or by its error summary when it has one.
            focused = page.evaluate(
                "() => document.activeElement.id === 'error-summary' ? 'errors'"
                " : document.activeElement.tagName"
            )
            if focused not in ("H1", "errors"):
                self.failures.append(f"{where}: focus starts at {focused}, not the heading")
        for violation in violations(page):
            nodes = "; ".join(" ".join(node["target"]) for node in violation["nodes"][:4])
            self.failures.append(
                f"{where}: {violation['id']} ({violation['impact']}) {violation['help']} "
                f"[{len(violation['nodes'])}x: {nodes}]"
            )

    def verdict(self, expected_pages: int) -> None:
        assert self.pages >= expected_pages, f"only {self.pages} pages were checked"
        assert not self.failures, "\n".join(self.failures)


def test_the_patients_pages_on_a_phone(live_server, browser, approved_content):
    audit = Audit()
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.goto(live_server.url + "/p/verify/")  # no link in this session
    audit.check(page, "no link")
    patient = PatientFactory()
    _, token = link_issue(appointment=AppointmentFactory(patient=patient))
    page.goto(live_server.url + f"/p/{token}/")
    audit.check(page, "verify")
    page.get_by_label("Day").fill("31")
    page.get_by_role("button", name="Continue").click()
    audit.check(page, "verify, with errors")
    fill_birth_date(page, patient.date_of_birth)
    definition = definition_for(questionnaire_default())
    for index, (page_id, data) in enumerate(page_posts(definition, VIGNETTES["V13"]["answers"])):
        page.wait_for_url(f"**/p/q/{page_id}/")
        audit.check(page, page_id, focus_starts_at_heading=True)
        if index == 2:  # a page sent with nothing answered: the error summary and messages
            page.get_by_role("button", name="Next").click()
            audit.check(page, f"{page_id}, with errors", focus_starts_at_heading=True)
        answer_page(page, data)
        audit.check(page, f"{page_id}, answered")
        page.get_by_role("button", name="Next").click()
    page.wait_for_url("**/p/review/")
    audit.check(page, "review")
    page.get_by_role("button", name="Send my answers").click()
    page.wait_for_url("**/p/done/")
    audit.check(page, "done, with the handout")
    context.close()

    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    urgent = PatientFactory()
    _, token = link_issue(appointment=AppointmentFactory(patient=urgent))
    page.goto(live_server.url + f"/p/{token}/")
    fill_birth_date(page, urgent.date_of_birth)
    answer_page(page, {"reason": ["headache"]})
    page.get_by_role("button", name="Next").click()
    answer_page(page, {"urgent-now": ["chest-pain"]})
    audit.check(page, "checklist with a follow-up open")
    answer_page(page, {"chest-pain-with": ["sweating"], "chest-pain-minutes": "over-15"})
    page.get_by_role("button", name="Next").click()
    page.wait_for_url("**/p/emergency/")
    audit.check(page, "emergency screen")
    context.close()

    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    young = PatientFactory(date_of_birth=timezone.localdate() - timedelta(days=365 * 12))
    _, token = link_issue(appointment=AppointmentFactory(patient=young))
    page.goto(live_server.url + f"/p/{token}/")
    fill_birth_date(page, young.date_of_birth)
    audit.check(page, "too young")
    context.close()
    audit.verdict(expected_pages=21)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_clinicians_pages(live_server, browser, approved_content, viewport):
    audit = Audit()
    clinician = UserFactory(username="a11y-clin", role="clinician")
    for vignette in ("V01", "V07", "V13"):
        submit_vignette(AppointmentFactory(patient=PatientFactory()), vignette)
    case = Case.objects.order_by("-level_rank").first()
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    page.goto(live_server.url + "/accounts/login/")
    audit.check(page, "sign in")
    sign_in(page, live_server.url, clinician)
    page.wait_for_url("**/dashboard/")
    audit.check(page, "queue")
    for url in (
        "/dashboard/?status=resolved",
        f"/dashboard/cases/{case.pk}/",
        f"/dashboard/appointments/{case.appointment_id}/answers/",
        "/dashboard/appointments/",
        "/dashboard/notifications/",
        "/accounts/2fa/backup-codes/",
    ):
        page.goto(live_server.url + url)
        audit.check(page, url)
    context.close()
    audit.verdict(expected_pages=8)


def test_front_desk_pages(live_server, browser, approved_content):
    audit = Audit()
    desk = UserFactory(username="a11y-desk", role="front_desk")
    submit_vignette(AppointmentFactory(patient=PatientFactory()), "V07")
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    sign_in(page, live_server.url, desk)
    for url in (
        "/dashboard/appointments/",
        "/dashboard/",
        "/admin/",
        "/admin/clinic/appointment/add/",
    ):
        page.goto(live_server.url + url)
        audit.check(page, url)  # "/dashboard/" is the refused page (403)
    context.close()
    audit.verdict(expected_pages=4)


def test_the_admin_pages_staff_use(live_server, browser, approved_content):
    audit = Audit()
    admin = UserFactory(username="a11y-admin", role="clinic_admin")
    admin.is_superuser = True
    admin.save()
    appointment = AppointmentFactory(patient=PatientFactory())
    submit_vignette(appointment, "V07")
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    sign_in(page, live_server.url, admin)
    urls = (
        "/admin/",
        "/admin/clinic/patient/",
        "/admin/clinic/patient/add/",
        f"/admin/clinic/patient/{appointment.patient_id}/change/",
        "/admin/clinic/appointment/",
        "/admin/clinic/appointment/add/",
        "/admin/clinic/case/",
        f"/admin/intake/response/{appointment.response.pk}/change/",
        "/admin/intake/previsitlink/",
        "/admin/clinic/notification/",
        "/admin/auditlog/logentry/",
        "/admin/auth/user/",
        "/admin/advice/contentversion/",
        "/admin/intake/questionnaire/",
        f"/dashboard/patients/{appointment.patient_id}/data/",
    )
    for url in urls:
        page.goto(live_server.url + url)
        audit.check(page, url)
    context.close()
    audit.verdict(expected_pages=len(urls))
