"""Every vignette through the portal, page by page, as a patient would answer it."""

import pytest
from django.utils import timezone

from clinic.review.models import Case
from intake.links.services import link_issue
from intake.responses.models import Response
from tests.factories import AppointmentFactory, PatientFactory
from tests.portal_support import page_posts
from tests.vignette_answers import VIGNETTES

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("case_id", sorted(VIGNETTES))
def test_vignette_through_the_portal(case_id, client, definition, approved_content):
    vignette = VIGNETTES[case_id]
    today = timezone.localdate()
    born = today.replace(year=today.year - vignette["age"] - 1)
    appointment = AppointmentFactory(patient=PatientFactory(date_of_birth=born))
    _, token = link_issue(appointment=appointment)
    client.get(f"/p/{token}/")
    assert client.post("/p/verify/", {"date_of_birth": born.isoformat()}).status_code == 302
    saw_emergency_screen = False
    for page_id, data in page_posts(definition, vignette["answers"]):
        response = client.post(f"/p/q/{page_id}/", {**data, "action": "next"})
        assert response.status_code == 302, (page_id, response.content[:2000])
        saw_emergency_screen |= response["Location"] == "/p/emergency/"
    assert client.post("/p/review/")["Location"] == "/p/done/"
    stored = Response.objects.get(appointment=appointment)
    assert stored.triage_level == vignette["level"], stored.triage_reasons
    assert saw_emergency_screen == (vignette["level"] == "emergency")
    flagged = Case.objects.filter(appointment=appointment).first()
    if vignette["level"] == "routine":
        assert flagged is None
    else:
        assert flagged is not None and flagged.level == vignette["level"]
    for topic in vignette["topics"] or ():
        assert topic in stored.handout.topics
    done = client.get("/p/done/")
    assert done.status_code == 200
