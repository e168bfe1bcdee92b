"""Who is told: the clinicians on duty, the escalation list and the clinic admins."""

import pytest

from clinic.staff.models import StaffProfile
from clinic.staff.roles import Role
from clinic.staff.selectors import (
    backup_codes_left,
    clinic_admins,
    clinicians,
    clinicians_on_duty,
    escalation_contacts,
)
from clinic.staff.services import backup_codes_issue
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_the_clinicians_on_duty_are_told_and_an_empty_roster_tells_every_clinician(
    clinician, other_clinician, front_desk
):
    assert clinicians_on_duty() == [clinician, other_clinician]
    StaffProfile.objects.create(user=other_clinician, on_duty=True)
    assert clinicians_on_duty() == [other_clinician]
    other_clinician.is_active = False
    other_clinician.save()
    assert clinicians_on_duty() == [clinician], "an inactive account is nobody on duty"


def test_the_escalation_list_goes_in_rank_order_and_skips_who_was_told(db):
    people = [UserFactory(username=f"call-{n}", role=Role.CLINICIAN.value) for n in range(3)]
    for rank, user in zip((2, 1, 3), people, strict=True):
        StaffProfile.objects.create(user=user, escalation_rank=rank)
    assert escalation_contacts(exclude_ids=set(), limit=2) == [people[1], people[0]]
    assert escalation_contacts(exclude_ids={people[1].pk}, limit=2) == [people[0], people[2]]


def test_clinic_admins_include_superusers_and_not_other_staff(admin_user, clinician, db):
    office = UserFactory(username="office", role=Role.CLINIC_ADMIN.value)
    assert set(clinic_admins()) == {admin_user, office}


def test_only_active_clinicians_can_be_assigned_a_case(clinician, front_desk):
    assert list(clinicians()) == [clinician]


def test_backup_codes_left_counts_the_unused_ones(clinician):
    codes = backup_codes_issue(user=clinician)
    assert backup_codes_left(clinician) == len(codes) == 10
    assert backup_codes_left(UserFactory(username="nobody")) == 0
