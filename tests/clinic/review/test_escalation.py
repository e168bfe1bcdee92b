"""Escalation: a case nobody acknowledges in time is taken to the next people, once."""

from datetime import timedelta

import pytest
from django.utils import timezone

from clinic.notifications.models import Notification
from clinic.review.models import CaseAction, CaseStatus
from clinic.review.services import case_acknowledge, cases_escalate
from clinic.staff.models import StaffProfile
from clinic.staff.roles import Role
from tests.factories import UserFactory
from tests.notifications_support import (
    flag,
    on_duty,
)

pytestmark = pytest.mark.django_db


# --- Escalation -------------------------------------------------------------------------------


@pytest.fixture
def escalation_list(db):
    first = UserFactory(username="first-call", role=Role.CLINICIAN.value)
    second = UserFactory(username="second-call", role=Role.CLINICIAN.value)
    third = UserFactory(username="third-call", role=Role.CLINICIAN.value)
    for rank, user in enumerate((first, second, third), start=1):
        StaffProfile.objects.create(user=user, escalation_rank=rank)
    return first, second, third


def test_an_emergency_unacknowledged_for_15_minutes_is_escalated_once(
    clinician, admin_user, escalation_list
):
    on_duty(clinician)
    case = flag()
    first, second, third = escalation_list
    assert cases_escalate(now=timezone.now() + timedelta(minutes=14)) == []
    later = timezone.now() + timedelta(minutes=16)
    assert cases_escalate(now=later) == [case.pk]
    assert cases_escalate(now=later + timedelta(minutes=30)) == []
    case.refresh_from_db()
    assert case.escalated_at == later
    event = case.events.get(action=CaseAction.ESCALATED)
    assert event.detail["notified"] == ["first-call", "second-call", "boss"]
    told = case.notifications.filter(kind="case_escalated", channel="email")
    assert set(told.values_list("recipient", flat=True)) == {first.pk, second.pk, admin_user.pk}
    assert not told.filter(recipient=third).exists()


def test_the_escalation_skips_people_already_told(clinician, escalation_list):
    first, second, third = escalation_list
    on_duty(first)
    case = flag()
    cases_escalate(now=timezone.now() + timedelta(minutes=16))
    told = case.notifications.filter(kind="case_escalated", channel="email")
    assert set(told.values_list("recipient", flat=True)) == {second.pk, third.pk}


def test_acknowledged_cases_and_urgent_cases_inside_two_hours_are_not_escalated(clinician):
    acknowledged = flag()
    case_acknowledge(case_id=acknowledged.pk, expected_version=1, clinician=clinician)
    urgent = flag("urgent")
    assert cases_escalate(now=timezone.now() + timedelta(minutes=119)) == []
    assert cases_escalate(now=timezone.now() + timedelta(minutes=121)) == [urgent.pk]


def test_the_case_page_shows_the_escalation_and_who_was_told(client, clinician, admin_user):
    case = flag()
    cases_escalate(now=timezone.now() + timedelta(minutes=16))
    client.force_login(clinician)
    page = client.get(f"/dashboard/cases/{case.pk}/").content.decode()
    assert "Escalated" in page
    assert "Told: boss" in page
    assert "Who was told" in page and "Case escalated · Email · " in page
    queue = client.get("/dashboard/").content.decode()
    assert '<span class="badge text-bg-danger">Escalated</span>' in queue


def test_escalation_does_not_make_a_clinicians_open_form_stale(clinician):
    case = flag()
    cases_escalate(now=timezone.now() + timedelta(minutes=16))
    acknowledged = case_acknowledge(case_id=case.pk, expected_version=1, clinician=clinician)
    assert acknowledged.status == CaseStatus.ACKNOWLEDGED


# --- The "soon" level: in the app only ---------------------------------------------------------


def test_a_soon_case_tells_clinicians_in_the_app_only(clinician, admin_user, escalation_list):
    on_duty(clinician)
    case = flag("soon")
    flagged = Notification.objects.filter(case=case, kind="case_flagged")
    assert set(flagged.values_list("channel", flat=True)) == {"in_app"}
    assert flagged.filter(recipient=clinician).exists()


def test_a_soon_case_escalates_after_its_48_hours_in_the_app_only(
    clinician, admin_user, escalation_list
):
    on_duty(clinician)
    case = flag("soon")
    assert cases_escalate(now=timezone.now() + timedelta(hours=47)) == []
    assert cases_escalate(now=timezone.now() + timedelta(hours=49)) == [case.pk]
    told = case.notifications.filter(kind="case_escalated")
    assert set(told.values_list("channel", flat=True)) == {"in_app"}
    first, second, _ = escalation_list
    assert {first.pk, second.pk, admin_user.pk} <= set(told.values_list("recipient", flat=True))


def test_the_queue_shows_soon_below_urgent_in_its_own_colour(client, clinician):
    soon = flag("soon")
    urgent = flag("urgent")
    client.force_login(clinician)
    page = client.get("/dashboard/").content.decode()
    assert page.index(f'data-case="{urgent.pk}"') < page.index(f'data-case="{soon.pk}"')
    assert '<span class="badge level-soon">Soon</span>' in page
    assert "Soon: 1" in page
