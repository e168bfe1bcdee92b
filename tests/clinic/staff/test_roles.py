import pytest
from django.contrib.auth.models import Group

from clinic.staff.roles import Role, has_role

pytestmark = pytest.mark.django_db


def test_migrations_create_the_three_staff_roles():
    names = set(Group.objects.values_list("name", flat=True))
    assert {"clinician", "front_desk", "clinic_admin"} <= names


def test_front_desk_can_manage_appointments_but_not_users(front_desk):
    assert front_desk.has_perm("clinic.change_appointment")
    assert not front_desk.has_perm("auth.change_user")


def test_role_check_reads_group_membership(clinician, front_desk):
    assert has_role(clinician, Role.CLINICIAN)
    assert not has_role(front_desk, Role.CLINICIAN)
