"""The pre-visit summary at the top of the case page and the answers page, with its state and the
answers each line came from; the text that "Copy for the note" gives."""

import re

import pytest

from clinic.review.models import Case
from intake.responses.services import response_open, response_save_page
from tests.factories import AppointmentFactory, PatientFactory
from tests.security.support import submit_vignette

pytestmark = pytest.mark.django_db


def _summary(page: str) -> str:
    return page[page.index('id="summary-heading"') : page.index('id="summary-text"')]


def test_the_case_page_opens_with_the_summary_and_each_line_leads_to_its_answer(client, clinician):
    appointment = AppointmentFactory(patient=PatientFactory())
    submit_vignette(appointment, "V01", extra={"reason-words": "Crushing pain since breakfast"})
    case = Case.objects.get(appointment=appointment)
    client.force_login(clinician)
    page = client.get(f"/dashboard/cases/{case.pk}/").content.decode()
    assert page.index("Pre-visit summary") < page.index("Why this was flagged")  # at the top
    summary = _summary(page)
    assert "Sent " in summary
    assert "Crushing pain since breakfast" in summary  # the patient's own words
    anchors = set(re.findall(r'href="#answer-([\w-]+)"', summary))
    assert anchors, "each line names the answers it came from"
    for link_id in anchors:
        assert f'id="answer-{link_id}"' in page, link_id  # and each leads to one shown below
    assert "Copy for the note" in page
    text = page[page.index('id="summary-text"') :].split(">", 1)[1].split("</textarea>")[0]
    assert text.startswith("Pre-visit summary") and "\nState: Sent " in text
    assert "<" not in text.replace("&lt;", "")  # plain text for the record


def test_a_routine_response_has_its_summary_on_the_answers_page(client, clinician):
    appointment = AppointmentFactory(patient=PatientFactory())
    submit_vignette(appointment, "V13")
    assert not Case.objects.filter(appointment=appointment).exists()
    client.force_login(clinician)
    page = client.get(f"/dashboard/appointments/{appointment.pk}/answers/").content.decode()
    summary = _summary(page)
    assert "Reason for visit: muscle spasms/cramps" in summary
    assert "PHQ-2 0/6: negative screen" in summary


def test_a_case_flagged_before_the_end_says_where_the_patient_stopped(client, clinician):
    appointment = AppointmentFactory(patient=PatientFactory())
    response = response_open(appointment=appointment)
    response_save_page(response=response, page_id="page-reason", raw={"reason": ["headache"]})
    response_save_page(
        response=response,
        page_id="page-urgent",
        raw={
            "urgent-now": ["chest-pain"],
            "chest-pain-with": ["sweating"],
            "chest-pain-minutes": "over-15",
        },
    )
    case = Case.objects.get(appointment=appointment)
    client.force_login(clinician)
    summary = _summary(client.get(f"/dashboard/cases/{case.pk}/").content.decode())
    assert re.search(r"Not sent: stopped at step 3 of \d+, after the emergency screen", summary)
    assert "chest pain" in summary.lower()
