"""The review room's reads: the queue's filters and pages, waits against targets, intake status."""

from datetime import timedelta

import pytest
from django.utils import timezone

from clinic.review import selectors
from clinic.review.models import Case, acknowledgement_target
from clinic.review.selectors import (
    IntakeStatus,
    QueueFilters,
    WaitState,
    appointment_answers,
    case_queue,
    intake_status,
    open_case_counts,
    wait_state,
)
from clinic.review.services import case_acknowledge, case_flag
from intake.questionnaires.services import questionnaire_default
from intake.responses.models import Response, ResponseStatus
from tests.factories import AppointmentFactory, PatientFactory, reason

pytestmark = pytest.mark.django_db

REASON = [reason()]


def _flag(level="urgent", **patient):
    appointment = AppointmentFactory(patient=PatientFactory(**patient))
    return case_flag(appointment=appointment, level=level, reasons=REASON)


def test_the_queue_filters_by_level_status_mine_day_and_name(clinician):
    urgent = _flag("urgent", last_name="Ashworth")
    emergency = _flag("emergency", last_name="Brightwater")
    mine = case_acknowledge(case_id=urgent.pk, expected_version=urgent.version, clinician=clinician)

    def ids(**filters):
        page = case_queue(clinician=clinician, filters=QueueFilters(**filters))
        return [case.pk for case in page.cases]

    assert ids() == [emergency.pk, urgent.pk]
    assert ids(level="urgent") == [urgent.pk]
    assert ids(status="new") == [emergency.pk]
    assert ids(mine=True) == [mine.pk]
    assert ids(search="bright") == [emergency.pk]
    assert ids(search="nobody") == []
    assert ids(day=timezone.localdate() + timedelta(days=30)) == []


def test_the_counts_cover_open_cases_per_level():
    _flag("urgent")
    _flag("emergency")
    _flag("emergency")
    _flag("soon")
    assert open_case_counts() == {"emergency": 2, "urgent": 1, "soon": 1, "new": 4}


def test_the_cursor_walks_every_case_once_in_queue_order(clinician, monkeypatch):
    monkeypatch.setattr(selectors, "PAGE_SIZE", 3)
    made = [_flag("urgent" if n % 2 else "emergency") for n in range(7)]
    seen, cursor, pages = [], None, 0
    for _ in range(10):
        pages += 1
        page = case_queue(clinician=clinician, filters=QueueFilters(), cursor=cursor)
        seen += [case.pk for case in page.cases]
        if not page.has_next:
            break
        cursor = page.next_cursor
    assert sorted(seen) == sorted(case.pk for case in made)
    assert seen == list(Case.objects.queue_order().values_list("pk", flat=True))
    assert pages == 3


def test_a_forged_cursor_is_a_value_error_with_a_kind_message(clinician):
    with pytest.raises(ValueError, match="start from the first page"):
        case_queue(clinician=clinician, filters=QueueFilters(), cursor="1_x_y")


@pytest.mark.parametrize("level", ["emergency", "urgent"])
def test_a_wait_turns_near_at_half_its_target_and_over_after_it(level):
    case = _flag(level)
    target = acknowledgement_target(level)
    start = case.flagged_at
    assert wait_state(case, now=start + target / 4) == WaitState.OK
    assert wait_state(case, now=start + target * 0.6) == WaitState.NEAR
    assert wait_state(case, now=start + target + timedelta(seconds=1)) == WaitState.OVER


def test_an_acknowledged_case_is_never_over_target(clinician):
    case = _flag("emergency")
    case = case_acknowledge(case_id=case.pk, expected_version=case.version, clinician=clinician)
    assert wait_state(case, now=timezone.now() + timedelta(days=1)) == WaitState.OK


def test_the_targets_come_from_settings_one_per_level(settings):
    settings.EMERGENCY_ACK_TARGET = timedelta(minutes=7)
    settings.URGENT_ACK_TARGET = timedelta(minutes=70)
    assert acknowledgement_target("emergency") == timedelta(minutes=7)
    assert acknowledgement_target("urgent") == timedelta(minutes=70)
    case = _flag("emergency")
    due = Case.objects.waiting_past_target(now=case.flagged_at + timedelta(minutes=8))
    assert list(due) == [case]
    assert not Case.objects.waiting_past_target(now=case.flagged_at + timedelta(minutes=6))


def test_intake_status_follows_the_response_and_the_case():
    appointment = AppointmentFactory()
    assert intake_status(appointment) == IntakeStatus.NOT_STARTED
    response = Response.objects.create(
        appointment=appointment, questionnaire=questionnaire_default()
    )
    appointment.refresh_from_db()
    assert intake_status(appointment) == IntakeStatus.IN_PROGRESS
    Response.objects.filter(pk=response.pk).update(
        status=ResponseStatus.SUBMITTED, submitted_at=timezone.now()
    )
    appointment = type(appointment).objects.select_related("response").get(pk=appointment.pk)
    assert intake_status(appointment) == IntakeStatus.SUBMITTED
    case_flag(appointment=appointment, level="urgent", reasons=REASON)
    appointment = type(appointment).objects.select_related("case").get(pk=appointment.pk)
    assert intake_status(appointment) == IntakeStatus.FLAGGED


def test_answers_are_found_only_for_a_submitted_response():
    appointment = AppointmentFactory()
    assert appointment_answers(appointment_id=appointment.pk) is None
    Response.objects.create(appointment=appointment, questionnaire=questionnaire_default())
    assert appointment_answers(appointment_id=appointment.pk) is None
    Response.objects.filter(appointment=appointment).update(
        status=ResponseStatus.SUBMITTED, submitted_at=timezone.now()
    )
    assert appointment_answers(appointment_id=appointment.pk) == appointment
