"""The admin as a whole: the home page's counts, read-only records, fixed query counts."""

import re

import pytest
from django.utils import timezone

from advice.levels import TriageLevel
from clinic.records.models import Appointment
from clinic.review.services import case_flag
from intake.links.models import PrevisitLink
from tests.factories import AppointmentFactory, PatientFactory

pytestmark = pytest.mark.django_db


def test_the_admin_index_shows_the_queue_counts(client, admin_user, appointment):
    case_flag(appointment=appointment, level="emergency", reasons=[])
    client.force_login(admin_user)
    page = client.get("/admin/")
    assert b"Review queue" in page.content
    assert re.search(rb"Open emergency cases</a></th><td>1<", page.content)


def test_submitted_answers_and_case_history_are_read_only(client, admin_user, appointment):
    case = case_flag(appointment=appointment, level="urgent", reasons=[])
    client.force_login(admin_user)
    event = case.events.first()
    assert (
        client.post(f"/admin/clinic/caseevent/{event.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    assert (
        client.post(f"/admin/clinic/caseevent/{event.pk}/change/", {"note": "x"}).status_code == 403
    )


@pytest.mark.parametrize("rows", [10, 500])
@pytest.mark.parametrize(
    "url",
    [
        "/admin/clinic/patient/",
        "/admin/clinic/appointment/",
        "/admin/clinic/case/",
        "/admin/clinic/caseevent/",
        "/admin/intake/previsitlink/",
        "/admin/intake/response/",
    ],
)
def test_admin_changelists_run_a_fixed_number_of_queries(
    client, admin_user, rows, url, django_assert_max_num_queries
):
    from intake.links.services import link_issue
    from intake.responses.services import response_open

    for _ in range(rows if rows == 10 else 0):
        appointment = AppointmentFactory(patient=PatientFactory())
        link_issue(appointment=appointment)
        response_open(appointment=appointment)
        case_flag(appointment=appointment, level="urgent", reasons=[])
    if rows == 500:
        _bulk(500)
    client.force_login(admin_user)
    with django_assert_max_num_queries(14):
        assert client.get(url).status_code == 200


def _bulk(count):
    from clinic.records.models import Patient
    from clinic.review.models import Case, CaseEvent
    from intake.questionnaires.services import questionnaire_default
    from intake.responses.models import Response

    questionnaire = questionnaire_default()
    patients = Patient.objects.bulk_create(
        [
            Patient(first_name="B", last_name=f"Bulk {n}", date_of_birth="1980-01-01")
            for n in range(count)
        ]
    )
    now = timezone.now()
    appointments = Appointment.objects.bulk_create(
        [Appointment(patient=p, starts_at=now) for p in patients]
    )
    PrevisitLink.objects.bulk_create(
        [
            PrevisitLink(appointment=a, token_hash=f"{a.pk:064d}", expires_at=now)
            for a in appointments
        ]
    )
    Response.objects.bulk_create(
        [Response(appointment=a, questionnaire=questionnaire) for a in appointments]
    )
    cases = Case.objects.bulk_create(
        [
            Case(appointment=a, level="urgent", level_rank=TriageLevel.URGENT.rank)
            for a in appointments
        ]
    )
    CaseEvent.objects.bulk_create([CaseEvent(case=c, action="flagged") for c in cases])


def test_admin_sections_are_named_in_words_staff_use(client, admin_user):
    client.force_login(admin_user)
    index = client.get("/admin/").content.decode()
    for name in ("Sign-in lockouts", "Two-step devices", "Backup codes", "Audit trail"):
        assert f">{name}</a>" in index, name
    for label in ("Axes", "Otp_Totp", "Otp_Static"):
        assert f">{label}</a>" not in index, label
