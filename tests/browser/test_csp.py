"""In a real browser, no page breaks the content security policy: portal, dashboard, admin.

Chromium reports every blocked inline script or style, eval and foreign load as a
`securitypolicyviolation` event and a console error; both are collected on every page.
"""

import io

import pytest
from django.core.management import call_command

from clinic.review.models import Case
from intake.links.services import link_issue
from intake.questionnaires.services import definition_for, questionnaire_default
from tests.browser.conftest import answer_page, fill_birth_date, sign_in
from tests.conftest import DESKTOP, PHONE
from tests.factories import AppointmentFactory, PatientFactory, UserFactory
from tests.portal_support import page_posts
from tests.security.support import submit_vignette
from tests.vignette_answers import VIGNETTES

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LISTEN = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});
"""


class Watcher:
    def __init__(self, browser, viewport):
        self.context = browser.new_context(viewport=viewport)
        self.context.add_init_script(LISTEN)
        self.page = self.context.new_page()
        self.page.set_default_timeout(10_000)
        self.console = []
        self.page.on(
            "console",
            lambda m: self.console.append(m.text) if "Content Security Policy" in m.text else None,
        )
        self.seen = []

    def check(self, label):
        self.page.wait_for_load_state("networkidle")
        events = self.page.evaluate("window.__csp || []")
        self.seen.append(label)
        assert not events and not self.console, f"{label}: {events} {self.console}"

    def close(self):
        self.context.close()


@pytest.fixture
def content(transactional_db):
    approver = UserFactory(username="approver", role="clinician")
    call_command("sync_content", approve_as=approver.username, stdout=io.StringIO())


def test_the_portal_raises_no_csp_violation(live_server, browser, content):
    patient = PatientFactory()
    appointment = AppointmentFactory(patient=patient)
    _, token = link_issue(appointment=appointment)
    watcher = Watcher(browser, PHONE)
    page = watcher.page
    page.goto(live_server.url + f"/p/{token}/")
    watcher.check("verify")
    fill_birth_date(page, patient.date_of_birth)
    definition = definition_for(questionnaire_default())
    for page_id, data in page_posts(definition, VIGNETTES["V13"]["answers"]):
        page.wait_for_url(f"**/p/q/{page_id}/")
        answer_page(page, data)  # follow-up questions appear: portal.js at work
        watcher.check(page_id)
        page.get_by_role("button", name="Next").click()
    watcher.check("review")
    page.get_by_role("button", name="Send my answers").click()
    page.wait_for_url("**/p/done/")
    page.wait_for_timeout(2500)  # htmx asks for the PDF's status after two seconds
    watcher.check("done, with htmx polling")
    watcher.close()


def test_the_dashboard_raises_no_csp_violation(live_server, browser, content, settings):
    settings.DASHBOARD_POLL_SECONDS = 1
    clinician = UserFactory(username="csp-clin", role="clinician")
    appointment = AppointmentFactory(patient=PatientFactory())
    submit_vignette(appointment, "V07")
    case = Case.objects.get(appointment=appointment)
    watcher = Watcher(browser, DESKTOP)
    page = watcher.page
    page.goto(live_server.url + "/accounts/login/")
    watcher.check("login")
    sign_in(page, live_server.url, clinician)  # enrols: the QR code page, the backup codes
    page.wait_for_url("**/dashboard/")
    page.wait_for_timeout(2500)  # the queue and the bell refresh themselves
    watcher.check("queue, polling")
    for url in (
        f"/dashboard/cases/{case.pk}/",
        "/dashboard/appointments/",
        "/dashboard/notifications/",
    ):
        page.goto(live_server.url + url)
        watcher.check(url)
    page.goto(live_server.url + "/accounts/2fa/backup-codes/")
    watcher.check("backup codes")
    watcher.close()


def test_the_admin_raises_no_csp_violation(live_server, browser, content):
    admin = UserFactory(username="csp-admin", role="clinic_admin")
    admin.is_superuser = True
    admin.save()
    appointment = AppointmentFactory(patient=PatientFactory())
    submit_vignette(appointment, "V07")
    watcher = Watcher(browser, DESKTOP)
    page = watcher.page
    sign_in(page, live_server.url, admin)
    for url in (
        "/admin/",
        "/admin/clinic/patient/",
        "/admin/clinic/patient/add/",
        f"/admin/clinic/patient/{appointment.patient_id}/change/",
        "/admin/clinic/appointment/add/",  # the patient field is an autocomplete (select2)
        "/admin/clinic/case/",
        f"/admin/intake/response/{appointment.response.pk}/change/",
        "/admin/intake/linkattempt/",  # read-only: a list without actions
        "/admin/auditlog/logentry/",
        "/admin/auth/user/",
        f"/admin/auth/user/{admin.pk}/change/",
        "/admin/advice/contentversion/",
        f"/dashboard/patients/{appointment.patient_id}/data/",
    ):
        page.goto(live_server.url + url)
        watcher.check(url)
    page.goto(live_server.url + "/admin/clinic/appointment/add/")
    page.locator(".select2-selection").first.click()  # opens the autocomplete's list
    page.wait_for_timeout(500)
    watcher.check("autocomplete open")
    watcher.close()
