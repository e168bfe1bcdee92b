"""The review room's writes: a flag, its level that only rises, and what clinicians do."""

import threading
from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from advice.levels import TriageLevel
from clinic.review.models import Case, CaseAction, CaseEvent, CaseStatus, Disposition
from clinic.review.services import (
    CaseActionRefused,
    CaseConflict,
    case_acknowledge,
    case_flag,
    case_note,
    case_resolve,
)
from tests.factories import AppointmentFactory, PatientFactory, reason

pytestmark = pytest.mark.django_db

REASON = [reason(rule_id="x", level="urgent", text="Fainted while standing")]


def _flag(level="urgent", **patient):
    appointment = AppointmentFactory(patient=PatientFactory(**patient))
    return case_flag(appointment=appointment, level=level, reasons=REASON)


def test_a_flag_makes_one_case_with_its_level_rank_and_the_reasons_as_stored_json(appointment):
    case = case_flag(appointment=appointment, level=TriageLevel.URGENT, reasons=REASON)
    assert (case.level, case.level_rank, case.status) == ("urgent", TriageLevel.URGENT.rank, "new")
    assert case.reasons == [REASON[0].to_dict()]
    assert list(case.events.values_list("action", flat=True)) == [CaseAction.FLAGGED]
    again = case_flag(appointment=appointment, level="urgent", reasons=REASON)
    assert again.pk == case.pk and Case.objects.count() == 1


def test_a_routine_result_flags_nothing(appointment):
    assert case_flag(appointment=appointment, level="routine", reasons=[]) is None
    assert not Case.objects.exists()


def test_the_database_refuses_a_rank_that_does_not_match_the_level(appointment):
    with pytest.raises(IntegrityError), transaction.atomic():
        Case.objects.create(appointment=appointment, level="emergency", level_rank=1)


def test_a_raised_level_is_recorded_and_announced_and_reopens_a_resolved_case(
    appointment, clinician
):
    case = case_flag(appointment=appointment, level="urgent", reasons=REASON)
    case = case_acknowledge(case_id=case.pk, expected_version=case.version, clinician=clinician)
    case = case_resolve(
        case_id=case.pk,
        expected_version=case.version,
        clinician=clinician,
        disposition=Disposition.CONTACTED,
        note="",
    )
    raised = case_flag(appointment=appointment, level="emergency", reasons=REASON)
    assert (raised.level, raised.level_rank) == ("emergency", TriageLevel.EMERGENCY.rank)
    assert raised.status == CaseStatus.NEW and raised.disposition == ""
    event = raised.events.get(action=CaseAction.RAISED)
    assert event.detail == {"from": "urgent", "to": "emergency"}
    assert raised.notifications.filter(level="emergency").exists()


def test_levels_only_rise(appointment):
    case = case_flag(appointment=appointment, level="emergency", reasons=REASON)
    case_flag(appointment=appointment, level="urgent", reasons=REASON)
    case.refresh_from_db()
    assert case.level == "emergency"
    assert not case.events.filter(action=CaseAction.RAISED).exists()


def test_an_action_a_case_can_no_longer_take_is_refused_by_name(clinician):
    case = _flag()
    case = case_acknowledge(case_id=case.pk, expected_version=case.version, clinician=clinician)
    case = case_resolve(
        case_id=case.pk,
        expected_version=case.version,
        clinician=clinician,
        disposition=Disposition.NO_ACTION,
        note="",
    )
    with pytest.raises(CaseActionRefused, match="A resolved case can't be acknowledged"):
        case_acknowledge(case_id=case.pk, expected_version=case.version, clinician=clinician)
    # A note can still be added to a resolved case.
    noted = case_note(
        case_id=case.pk, expected_version=case.version, clinician=clinician, note="Called back"
    )
    assert noted.events.filter(action=CaseAction.NOTE, note="Called back").exists()


def test_a_stale_version_is_a_conflict_and_writes_nothing(clinician):
    case = _flag()
    with pytest.raises(CaseConflict):
        case_note(case_id=case.pk, expected_version=case.version + 1, clinician=clinician, note="x")
    assert not CaseEvent.objects.filter(case=case, action=CaseAction.NOTE).exists()


def test_an_unknown_case_is_refused():
    with pytest.raises(CaseActionRefused, match="no longer exists"):
        case_acknowledge(case_id=999_999, expected_version=1, clinician=None)


def test_the_queue_order_is_most_urgent_first_then_appointment_time():
    soon = timezone.now() + timedelta(hours=1)
    late_urgent = case_flag(
        appointment=AppointmentFactory(starts_at=soon + timedelta(hours=5)),
        level="urgent",
        reasons=REASON,
    )
    early_urgent = case_flag(
        appointment=AppointmentFactory(starts_at=soon), level="urgent", reasons=REASON
    )
    emergency = case_flag(
        appointment=AppointmentFactory(starts_at=soon + timedelta(days=3)),
        level="emergency",
        reasons=REASON,
    )
    assert list(Case.objects.queue_order()) == [emergency, early_urgent, late_urgent]


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_clinicians_acting_at_once_cannot_both_win(clinician, other_clinician):
    case = _flag("urgent")
    results = []
    barrier = threading.Barrier(2)

    def act(who):
        barrier.wait()
        try:
            case_acknowledge(case_id=case.pk, expected_version=case.version, clinician=who)
            results.append(("ok", who.pk))
        except CaseConflict:
            results.append(("conflict", who.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=act, args=(u,)) for u in (clinician, other_clinician)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r[0] for r in results) == ["conflict", "ok"]
    winner = next(pk for outcome, pk in results if outcome == "ok")
    case.refresh_from_db()
    assert case.assigned_to_id == winner
    assert case.version == 2
    assert CaseEvent.objects.filter(case=case, action="acknowledged").count() == 1
