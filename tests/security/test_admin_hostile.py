"""Hostile input to the whole Django admin, as each staff role: never a 500.

Every registered model's changelist with hostile values in its search, each of its filters,
its date drill-down, ordering and page; its add and change forms, posted with hostile values;
change pages for ids that are not ids; and the custom views (the audit trail's CSV export).
The three findings this was written for: a non-numeric patient on the appointment form, a NUL
character in any changelist filter, and a non-numeric actor in the audit export.
"""

import pytest
from django.contrib import admin
from django.urls import reverse

from clinic.staff.roles import Role
from tests.factories import AppointmentFactory, UserFactory
from tests.notifications_support import flag

pytestmark = pytest.mark.django_db

VALUES = ["\x00", "abc", "", "9" * 30, "-1", "1\x00", "<script>alert(1)</script>", "2026-13-45"]


@pytest.fixture
def staff(db):
    """One signed-in staff member of each role (the admin-site users are staff)."""
    users = {
        role: UserFactory(username=f"hostile-{role.value}", role=role.value, is_staff=True)
        for role in (Role.FRONT_DESK, Role.CLINICIAN, Role.CLINIC_ADMIN)
    }
    boss = UserFactory(username="hostile-super", role=Role.CLINIC_ADMIN.value, is_staff=True)
    boss.is_superuser = True
    boss.save()
    users["superuser"] = boss
    return users


@pytest.fixture
def rows(db):
    """Something in every table the admin lists, so change pages and filters have rows."""
    flag()  # a case, its appointment and patient, notifications
    AppointmentFactory()


def _ok(response, where):
    assert response.status_code < 500, (where, response.status_code)


def _filter_params(model_admin) -> list[str]:
    names = []
    for entry in model_admin.list_filter:
        name = entry if isinstance(entry, str) else getattr(entry, "parameter_name", None)
        if isinstance(entry, tuple):
            name = entry[0]
        if not name:
            continue
        names += [name, f"{name}__exact", f"{name}__id__exact", f"{name}__gte", f"{name}__isnull"]
    if model_admin.date_hierarchy:
        names += [f"{model_admin.date_hierarchy}__{part}" for part in ("year", "month", "day")]
    return names + ["q", "o", "p", "e", "_facets", "all"]


def _registered():
    return sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)


def test_every_changelist_takes_hostile_filters_as_each_role(client, staff, rows):
    for user in staff.values():
        client.force_login(user)
        for model, model_admin in _registered():
            url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
            for param in _filter_params(model_admin):
                for value in VALUES:
                    _ok(client.get(url, {param: value}), (user.username, url, param, value))


def test_a_nul_in_a_filter_is_a_clear_400(client, staff, rows):
    client.force_login(staff["superuser"])
    response = client.get("/admin/clinic/patient/", {"q": "Smith\x00"})
    assert response.status_code == 400
    assert b"'q' holds a NUL character" in response.content


def test_every_add_and_change_form_takes_hostile_values_as_each_role(client, staff, rows):
    for user in staff.values():
        client.force_login(user)
        for model, _ in _registered():
            label = f"admin:{model._meta.app_label}_{model._meta.model_name}"
            fields = [f.name for f in model._meta.get_fields() if getattr(f, "editable", False)]
            for value in VALUES:
                data = dict.fromkeys(fields, value)
                try:
                    add = reverse(f"{label}_add")
                except Exception:  # noqa: BLE001 (a model without an add view)
                    add = None
                if add:
                    _ok(client.get(add), (user.username, add))
                    _ok(client.post(add, data), (user.username, add, value))
                first = model._default_manager.first()
                for pk in [first.pk] if first is not None else []:
                    change = reverse(f"{label}_change", args=[pk])
                    _ok(client.get(change), (user.username, change))
                    _ok(client.post(change, data), (user.username, change, value))
            for bad_id in ("abc", "\x00", "999999999", "-1"):
                change = f"/admin/{model._meta.app_label}/{model._meta.model_name}/{bad_id}/change/"
                _ok(client.get(change), (user.username, change))


def test_a_non_numeric_patient_on_the_appointment_form_is_named_not_a_500(client, staff):
    client.force_login(staff[Role.FRONT_DESK])
    response = client.post(
        "/admin/clinic/appointment/add/",
        {
            "patient": "abc",
            "starts_at_0": "2026-12-24",
            "starts_at_1": "10:00",
            "status": "scheduled",
        },
    )
    assert response.status_code == 200
    assert b"Select a valid choice" in response.content


@pytest.mark.parametrize("actor", ["abc", "", "\x00", "9" * 30, "-1", "1.5"])
def test_the_audit_export_takes_a_bad_actor_filter(client, staff, actor):
    client.force_login(staff["superuser"])
    response = client.get("/admin/auditlog/logentry/export.csv", {"actor__id__exact": actor})
    _ok(response, actor)
    assert response.status_code in (200, 302, 400)


def test_an_export_whose_filter_cannot_be_used_says_so(client, staff):
    """A lookup the changelist refuses (a field that does not exist) is not exported unfiltered:
    the admin is sent back to the list with the reason."""
    client.force_login(staff["superuser"])
    response = client.get("/admin/auditlog/logentry/export.csv", {"no_such_field__exact": "1"})
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "That filter can&#x27;t be used" in page or "That filter can't be used" in page
