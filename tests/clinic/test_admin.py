import io
import re

import pytest
from django.core.management import call_command
from django.utils import timezone

from advice.models import ContentStatus, ContentVersion
from clinic.models import Appointment
from clinic.services import case_flag
from intake.models import PrevisitLink
from tests.factories import AppointmentFactory, PatientFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def drafts(db):
    call_command("sync_content", stdout=io.StringIO())
    return ContentVersion.objects.filter(status=ContentStatus.DRAFT)


def _approve(client, ids):
    return client.post(
        "/admin/advice/contentversion/",
        {"action": "approve", "_selected_action": [str(i) for i in ids]},
        follow=True,
    )


def test_a_clinician_approves_content_in_the_admin(client, clinician, drafts):
    clinician.is_staff = True
    clinician.save()
    client.force_login(clinician)
    version = drafts.get(topic="muscle-spasms")
    page = _approve(client, [version.pk])
    assert b"Approved 1 version" in page.content
    version.refresh_from_db()
    assert version.status == ContentStatus.APPROVED
    assert version.approved_by == clinician and version.approved_at is not None


def test_only_clinicians_can_approve(client, admin_user, drafts):
    admin_user.is_superuser = False
    admin_user.save()
    client.force_login(admin_user)
    changelist = client.get("/admin/advice/contentversion/")
    assert changelist.status_code == 200
    assert b'value="approve"' not in changelist.content
    _approve(client, [drafts.first().pk])
    assert not ContentVersion.objects.filter(status=ContentStatus.APPROVED).exists()


def test_a_draft_can_be_previewed_before_approval(client, clinician, drafts):
    client.force_login(clinician)
    version = drafts.get(topic="muscle-spasms")
    page = client.get(f"/admin/advice/contentversion/{version.pk}/change/")
    assert page.status_code == 200
    assert b"magnesium" in page.content
    assert b"When to get care now" in page.content


def test_a_new_version_retires_the_old_approval(clinician, drafts):
    from advice.services import content_approve

    first = drafts.get(topic="headache")
    content_approve(version=first, by=clinician)
    body = dict(first.body, version=first.version + 1)
    second = ContentVersion.objects.create(
        topic="headache",
        version=first.version + 1,
        title=first.title,
        body=body,
        source_sha256="x" * 64,
    )
    content_approve(version=second, by=clinician)
    first.refresh_from_db()
    assert first.status == ContentStatus.RETIRED


def test_changed_content_without_a_new_version_is_refused(tmp_path, drafts):
    from advice.content_schema import ContentError
    from advice.services import CONTENT_DIR, content_sync

    for path in CONTENT_DIR.glob("*.yaml"):
        (tmp_path / path.name).write_text(path.read_text())
    spasms = tmp_path / "muscle-spasms.yaml"
    spasms.write_text(spasms.read_text().replace("It can hurt a lot", "It can hurt"))
    with pytest.raises(ContentError, match="raise `version`"):
        content_sync(directory=tmp_path)


def test_creating_an_appointment_in_the_admin_makes_a_link(client, admin_user, patient):
    client.force_login(admin_user)
    when = timezone.localtime(timezone.now() + timezone.timedelta(days=2))
    page = client.post(
        "/admin/clinic/appointment/add/",
        {
            "patient": patient.pk,
            "starts_at_0": when.date().isoformat(),
            "starts_at_1": "10:00:00",
            "reason": "Cough",
            "status": "scheduled",
        },
        follow=True,
    )
    assert page.status_code == 200
    appointment = Appointment.objects.get(reason="Cough")
    assert PrevisitLink.objects.usable().filter(appointment=appointment).count() == 1
    link = re.search(rb"/p/[A-Za-z0-9_-]{22,}/", page.content)
    assert link, "the new link is shown once to the staff member"


def test_reissuing_a_link_in_the_admin_shows_the_new_one(client, admin_user, appointment):
    from intake.services import link_issue

    old, _ = link_issue(appointment=appointment)
    client.force_login(admin_user)
    page = client.post(
        "/admin/intake/previsitlink/",
        {"action": "reissue_links", "_selected_action": [str(old.pk)]},
        follow=True,
    )
    assert b"New link for" in page.content
    old.refresh_from_db()
    assert old.revoked_at is not None


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
    from intake.services import link_issue, response_open

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
    from clinic.models import Case, CaseEvent, Patient
    from intake.models import PrevisitLink, Response
    from intake.services import questionnaire_default

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
        [Case(appointment=a, level="urgent", level_rank=1) for a in appointments]
    )
    CaseEvent.objects.bulk_create([CaseEvent(case=c, action="flagged") for c in cases])
