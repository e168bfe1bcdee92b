from datetime import datetime, timedelta

import pytest

from advice.levels import TriageLevel
from clinic.review.models import Case, CaseEvent
from clinic.review.services import case_acknowledge, case_flag, case_resolve
from clinic.templatetags.review_tags import waited
from tests.factories import AppointmentFactory, PatientFactory, reason

pytestmark = pytest.mark.django_db

REASON = [
    reason(
        rule_id="x",
        level="urgent",
        text="Fainted while standing",
        evidence={"urgent-now": ["fainted"]},
    )
]


@pytest.fixture
def case(appointment):
    return case_flag(appointment=appointment, level="urgent", reasons=REASON)


def _flag(level="urgent", **patient):
    appointment = AppointmentFactory(patient=PatientFactory(**patient))
    return case_flag(appointment=appointment, level=level, reasons=REASON)


def test_queue_lists_emergencies_first_then_urgent(client, clinician):
    urgent = _flag("urgent", last_name="Urgent")
    emergency = _flag("emergency", last_name="Emergency")
    client.force_login(clinician)
    page = client.get("/dashboard/")
    assert page.status_code == 200
    body = page.content.decode()
    assert body.index(emergency.appointment.patient.last_name) < body.index(
        urgent.appointment.patient.last_name
    )
    assert "Emergency: 1" in body and "Urgent: 1" in body


def test_queue_filters_by_level_and_name(client, clinician):
    _flag("urgent", last_name="Alpha")
    _flag("emergency", last_name="Beta")
    client.force_login(clinician)
    assert b"Alpha" not in client.get("/dashboard/?level=emergency").content
    assert b"Beta" not in client.get("/dashboard/?q=alpha").content


def test_waiting_reads_as_a_duration():
    now = datetime(2026, 12, 4, 12, 0)
    shown = {
        minutes: waited(now - timedelta(minutes=minutes), now)
        for minutes in (0, 9, 60, 125, 24 * 60, 3 * 24 * 60 + 4 * 60)
    }
    assert shown == {
        0: "under 1 min",
        9: "9 min",
        60: "1 h",
        125: "2 h 5 min",
        24 * 60: "1 d",
        3 * 24 * 60 + 4 * 60: "3 d 4 h",
    }


def test_the_resolved_filter_shows_when_and_by_whom_and_its_counts_follow_it(client, clinician):

    open_case = _flag("emergency", last_name="Stillopen")
    done = _flag("urgent", last_name="Finished")
    done = case_acknowledge(case_id=done.pk, expected_version=done.version, clinician=clinician)
    case_resolve(
        case_id=done.pk,
        expected_version=done.version,
        clinician=clinician,
        disposition="contacted",
        note="",
    )
    client.force_login(clinician)
    waiting = client.get("/dashboard/").content.decode()
    assert "Stillopen" in waiting and "Finished" not in waiting
    assert "Emergency: 1" in waiting and "Urgent: 0" in waiting
    assert "under 1 min" in waiting  # waiting as a duration
    resolved = client.get("/dashboard/?status=resolved").content.decode()
    assert "Finished" in resolved and "Stillopen" not in resolved
    assert "Emergency: 0" in resolved and "Urgent: 1" in resolved  # the counts follow the filter
    assert '<th scope="col">Resolved</th>' in resolved
    assert f"by {clinician.get_full_name() or clinician.username}" in resolved
    assert Case.objects.get(pk=done.pk).resolved_by == clinician
    assert open_case.status == "new"


def test_bad_filters_get_a_clear_message(client, clinician):
    client.force_login(clinician)
    response = client.get("/dashboard/?level=catastrophic&day=yesterday")
    assert response.status_code == 400
    assert b"Choose a level from the list" in response.content
    assert b"YYYY-MM-DD" in response.content


def test_a_forged_page_cursor_is_refused_kindly(client, clinician):
    client.force_login(clinician)
    response = client.get("/dashboard/?after=1_not-a-number_3")
    assert response.status_code == 400
    assert b"start from the first page" in response.content


def test_queue_pages_with_a_cursor_not_an_offset(client, clinician):
    for n in range(30):
        _flag("urgent", last_name=f"Row{n:02d}")
    client.force_login(clinician)
    first = client.get("/dashboard/")
    assert b"Next page" in first.content
    import re

    cursor = re.search(rb"after=([^\"&]+)", first.content).group(1).decode()
    second = client.get(f"/dashboard/?after={cursor}")
    assert second.status_code == 200
    assert b"Next page" not in second.content


def test_htmx_refresh_returns_only_the_table(client, clinician, case):
    client.force_login(clinician)
    response = client.get("/dashboard/", HTTP_HX_REQUEST="true")
    assert b"<html" not in response.content
    assert b"data-emergency-count" in response.content


def test_case_page_shows_reasons_with_their_answers(client, clinician, case):
    client.force_login(clinician)
    page = client.get(f"/dashboard/cases/{case.pk}/")
    assert page.status_code == 200
    assert b"Fainted while standing" in page.content
    assert b"Do you have any of these now" in page.content  # the question, as the patient saw it
    assert b"Fainted or passed out" in page.content
    assert "no-store" in page["Cache-Control"]


def test_acknowledge_note_and_resolve_are_recorded_in_order(client, clinician, case):
    client.force_login(clinician)
    client.post(f"/dashboard/cases/{case.pk}/acknowledge/", {"version": case.version})
    case.refresh_from_db()
    assert case.status == "acknowledged" and case.assigned_to == clinician
    client.post(
        f"/dashboard/cases/{case.pk}/note/", {"version": case.version, "note": "Called, no answer."}
    )
    case.refresh_from_db()
    client.post(
        f"/dashboard/cases/{case.pk}/resolve/",
        {"version": case.version, "disposition": "contacted", "note": "Seen today."},
    )
    case.refresh_from_db()
    assert case.status == "resolved" and case.disposition == "contacted"
    actions = list(CaseEvent.objects.filter(case=case).values_list("action", flat=True))
    assert actions == ["flagged", "acknowledged", "note", "resolved"]
    page = client.get(f"/dashboard/cases/{case.pk}/")
    assert b"Called, no answer." in page.content


def test_a_stale_form_is_refused_and_changes_nothing(client, clinician, case):
    client.force_login(clinician)
    client.post(f"/dashboard/cases/{case.pk}/note/", {"version": case.version, "note": "one"})
    stale = client.post(
        f"/dashboard/cases/{case.pk}/resolve/",
        {"version": case.version, "disposition": "no_action"},
    )
    assert stale.status_code == 409
    assert b"Someone else changed this case" in stale.content
    case.refresh_from_db()
    assert case.status == "new"


@pytest.mark.parametrize(
    "action, data, message",
    [
        ("resolve", {"disposition": "vanished"}, b"Choose one of the listed outcomes"),
        ("note", {"note": "x" * 2001}, b"at most 2000 characters"),
        ("note", {"note": "   "}, b"Write the note"),
        ("reassign", {"to": "999999"}, b"Choose a clinician from the list"),
        ("resolve", {}, b"Choose what was done"),
    ],
)
def test_bad_action_input_gets_a_clear_error_and_no_change(
    client, clinician, case, action, data, message
):
    client.force_login(clinician)
    response = client.post(
        f"/dashboard/cases/{case.pk}/{action}/", {"version": case.version, **data}
    )
    assert response.status_code == 400
    assert message in response.content
    assert CaseEvent.objects.filter(case=case).count() == 1


def test_a_missing_version_is_refused(client, clinician, case):
    client.force_login(clinician)
    response = client.post(f"/dashboard/cases/{case.pk}/acknowledge/", {})
    assert response.status_code == 400


def test_acting_on_someone_elses_case_asks_for_confirmation(
    client, clinician, other_clinician, case
):
    case_acknowledge(case_id=case.pk, expected_version=case.version, clinician=other_clinician)
    case.refresh_from_db()
    client.force_login(clinician)
    ask = client.post(
        f"/dashboard/cases/{case.pk}/resolve/",
        {"version": case.version, "disposition": "no_action"},
    )
    assert ask.status_code == 409
    assert b"belongs to another clinician" in ask.content
    case.refresh_from_db()
    assert case.status == "acknowledged"
    done = client.post(
        f"/dashboard/cases/{case.pk}/resolve/",
        {"version": case.version, "disposition": "no_action", "confirm": "on"},
    )
    assert done.status_code == 302
    case.refresh_from_db()
    assert case.status == "resolved"


def test_reassign_moves_the_case(client, clinician, other_clinician, case):
    client.force_login(clinician)
    client.post(
        f"/dashboard/cases/{case.pk}/reassign/", {"version": case.version, "to": other_clinician.pk}
    )
    case.refresh_from_db()
    assert case.assigned_to == other_clinician


def test_an_unknown_case_or_action_is_404(client, clinician, case):
    client.force_login(clinician)
    assert client.get("/dashboard/cases/999999/").status_code == 404
    assert client.post(f"/dashboard/cases/{case.pk}/delete/", {"version": 1}).status_code == 404


@pytest.mark.parametrize(
    "url",
    ["/dashboard/", "/dashboard/cases/{case}/", "/dashboard/appointments/{appointment}/answers/"],
)
def test_front_desk_gets_403_on_clinical_pages(client, front_desk, case, url):
    client.force_login(front_desk)
    url = url.format(case=case.pk, appointment=case.appointment_id)
    refused = client.get(url)
    assert refused.status_code == 403
    # A styled page that says why and offers a way back, not Django's bare "403 Forbidden".
    text = refused.content.decode()
    assert "You can't open this page" in text and "another role" in text
    assert 'href="/dashboard/appointments/">Go to appointments' in text
    assert "Go to the review queue" not in text


def test_front_desk_is_shown_only_the_menu_items_it_can_open(client, front_desk, clinician):
    client.force_login(front_desk)
    board = client.get("/dashboard/appointments/").content.decode()
    nav = board[board.index('class="d-flex flex-wrap') : board.index("Sign out")]
    assert "Review queue" not in nav and "Appointments" in nav
    client.force_login(clinician)
    queue = client.get("/dashboard/").content.decode()
    nav = queue[queue.index('class="d-flex flex-wrap') : queue.index("Sign out")]
    assert "Review queue" in nav and "Appointments" in nav


@pytest.mark.parametrize("url", ["/dashboard/", "/dashboard/appointments/"])
def test_anonymous_users_are_sent_to_sign_in(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_verified_patient_gets_nothing_from_the_dashboard(client, case, patient):
    from intake.links.services import link_issue

    _, token = link_issue(appointment=case.appointment)
    client.get(f"/p/{token}/")
    client.post("/p/verify/", {"date_of_birth": case.appointment.patient.date_of_birth})
    assert client.get(f"/dashboard/cases/{case.pk}/").status_code == 302


def test_front_desk_sees_intake_status_but_no_answers(client, front_desk, case):
    AppointmentFactory()
    client.force_login(front_desk)
    board = client.get("/dashboard/appointments/")
    assert board.status_code == 200
    assert b"Flagged" in board.content and b"Not started" in board.content
    assert b"Open case" not in board.content
    assert b"Fainted" not in board.content


@pytest.mark.parametrize("cases", [10, 500])
def test_queue_and_case_pages_run_a_fixed_number_of_queries(
    client, clinician, cases, django_assert_max_num_queries
):
    from clinic.records.models import Appointment, Patient

    patients = Patient.objects.bulk_create(
        [
            Patient(first_name="Q", last_name=f"P{n}", date_of_birth="1980-01-01")
            for n in range(cases)
        ]
    )
    from django.utils import timezone

    appointments = Appointment.objects.bulk_create(
        [Appointment(patient=p, starts_at=timezone.now()) for p in patients]
    )
    Case.objects.bulk_create(
        [
            Case(
                appointment=a,
                level="urgent",
                level_rank=TriageLevel.URGENT.rank,
                reasons=[r.to_dict() for r in REASON],
            )
            for a in appointments
        ]
    )
    client.force_login(clinician)
    one = Case.objects.first()
    # Security adds a constant 3: the second factor's device, the audit entry for what was
    # shown, and (first request of a session) its start time. The undelivered-alerts banner
    # adds 1 on every staff page.
    with django_assert_max_num_queries(14):
        assert client.get("/dashboard/").status_code == 200
    with django_assert_max_num_queries(16):
        assert client.get(f"/dashboard/cases/{one.pk}/").status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get("/dashboard/appointments/").status_code == 200
