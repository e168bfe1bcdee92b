import io

import pytest
from django.core.management import call_command

from intake.links.services import link_issue
from intake.questionnaires.services import definition_for, questionnaire_default


@pytest.fixture
def approved_content(db, clinician):
    """Handout content approved by a clinician, as a clinic does before go-live."""
    call_command("sync_content", approve_as=clinician.username, stdout=io.StringIO())


@pytest.fixture
def definition(db):
    return definition_for(questionnaire_default())


@pytest.fixture
def link(appointment):
    """(link row, token) for the patient's appointment."""
    return link_issue(appointment=appointment)


@pytest.fixture
def portal(client, link, patient):
    """A browser session that opened the link and confirmed the date of birth."""
    _, token = link
    client.get(f"/p/{token}/")
    response = client.post("/p/verify/", {"date_of_birth": patient.date_of_birth.isoformat()})
    assert response.status_code == 302, response.content[:500]
    return client
