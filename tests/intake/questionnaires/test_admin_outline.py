"""A questionnaire version in the admin reads as an outline, not only as raw JSON."""

import pytest

from intake.questionnaires.services import questionnaire_default

pytestmark = pytest.mark.django_db


def test_the_questionnaire_admin_shows_pages_questions_options_and_conditions(client, admin_user):
    questionnaire = questionnaire_default()
    client.force_login(admin_user)
    page = client.get(f"/admin/intake/questionnaire/{questionnaire.pk}/change/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Page 1: Why you are coming in" in text
    assert "How long have you had it?" in text and "<code>since</code>" in text
    assert "1 to 3 days <code>1-3-days</code>" in text
    assert "Shown when" in text  # a follow-up names the answer that brings it up
    assert "(scores 3)" in text  # the screeners' option scores
