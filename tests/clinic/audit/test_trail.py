"""The audit trail: every view and change of health information, who, when, from where."""

import csv
import io

import pytest
from auditlog.models import LogEntry
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.db import connection, transaction
from django.db.utils import DatabaseError

from clinic.records.models import Patient
from clinic.review.models import Case
from intake.links.services import link_issue
from tests.factories import AppointmentFactory, PatientFactory
from tests.security.support import submit_vignette

pytestmark = pytest.mark.django_db

ACCESS = LogEntry.Action.ACCESS


@pytest.fixture
def submitted(settings, tmp_path, clinician):
    """A flagged patient and a routine one, both with a handout PDF."""
    settings.MEDIA_ROOT = tmp_path
    call_command("sync_content", approve_as=clinician.username, stdout=io.StringIO())
    flagged = AppointmentFactory(patient=PatientFactory(last_name="Flagged"))
    submit_vignette(flagged, "V07", extra={"reason-words": "my private words"})
    routine = AppointmentFactory(patient=PatientFactory(last_name="Routine"))
    submit_vignette(routine, "V13")
    for appointment in (flagged, routine):
        handout = appointment.response.handout
        handout.pdf.save("h.pdf", ContentFile(b"%PDF-1.4"), save=True)
    return flagged, routine


def _accesses(**filters):
    return LogEntry.objects.filter(action=ACCESS, **filters).order_by("pk")


def test_staff_views_of_case_answers_and_pdf_are_recorded_with_who_and_where(
    client, clinician, submitted
):
    flagged, routine = submitted
    case = Case.objects.get(appointment=flagged)
    client.force_login(clinician)
    client.get(f"/dashboard/cases/{case.pk}/", REMOTE_ADDR="198.51.100.20")
    client.get(f"/dashboard/appointments/{routine.pk}/answers/", REMOTE_ADDR="198.51.100.20")
    client.get(f"/dashboard/appointments/{routine.pk}/handout.pdf", REMOTE_ADDR="198.51.100.20")
    rows = list(_accesses(actor=clinician).exclude(object_pk=""))
    assert [(r.additional_data["what"], r.additional_data["patients"]) for r in rows] == [
        ("case page", f",{flagged.patient_id},"),
        ("answers", f",{routine.patient_id},"),
        ("handout PDF", f",{routine.patient_id},"),
    ]
    assert {r.remote_addr for r in rows} == {"198.51.100.20"}
    assert all(r.timestamp is not None for r in rows)


def test_lists_that_show_patients_are_recorded_once_per_change(client, clinician, submitted):
    flagged, _ = submitted
    client.force_login(clinician)
    client.get("/dashboard/")
    for _ in range(3):  # the queue polling itself: the same patients, no new entries
        client.get("/dashboard/", HTTP_HX_REQUEST="true")
    lists = _accesses(actor=clinician, additional_data__what="review queue")
    assert lists.count() == 1
    assert lists.get().additional_data["patients"] == f",{flagged.patient_id},"
    client.get("/dashboard/appointments/")
    assert _accesses(actor=clinician, additional_data__what="appointment board").count() == 1


def test_the_patients_own_views_are_recorded_as_their_link(client, submitted):
    flagged, _ = submitted
    link, token = link_issue(appointment=flagged)
    client.get(f"/p/{token}/")
    client.post("/p/verify/", {"date_of_birth": flagged.patient.date_of_birth.isoformat()})
    client.get("/p/done/", REMOTE_ADDR="192.0.2.44")
    client.get("/p/handout/pdf/", REMOTE_ADDR="192.0.2.44")
    rows = list(_accesses(actor__isnull=True, additional_data__patient_link=link.pk))
    assert [r.additional_data["what"] for r in rows] == ["handout (portal)", "handout PDF (portal)"]
    assert {r.remote_addr for r in rows} == {"192.0.2.44"}
    from clinic.audit.selectors import who

    assert who(rows[0]) == f"patient link {link.pk}"


def test_changes_are_recorded_with_health_data_masked(client, admin_user):
    client.force_login(admin_user)
    client.post(
        "/admin/clinic/patient/add/",
        {
            "first_name": "Ada",
            "last_name": "Secretname",
            "date_of_birth": "1970-05-05",
            "email": "ada@example.invalid",
            "phone": "",
            "preferred_language": "en",
        },
    )
    patient = Patient.objects.get(last_name="Secretname")
    entry = LogEntry.objects.get(
        action=LogEntry.Action.CREATE, object_pk=str(patient.pk), content_type__model="patient"
    )
    assert entry.actor == admin_user
    assert entry.additional_data["patients"] == f",{patient.pk},"
    stored = str(entry.changes) + entry.object_repr + str(entry.additional_data)
    for secret in ("Ada", "Secretname", "1970-05-05", "ada@example.invalid"):
        assert secret not in stored
    assert entry.changes_dict["last_name"][1] == "[hidden]"


def test_answers_saved_by_a_patient_are_recorded_without_the_answers(client, submitted):
    flagged, _ = submitted
    updates = LogEntry.objects.filter(
        content_type__model="response", object_pk=str(flagged.response.pk)
    )
    assert updates.filter(action=LogEntry.Action.UPDATE).exists()
    assert "my private words" not in str(list(updates.values_list("changes", flat=True)))


def test_admin_lists_and_records_of_health_information_are_recorded(client, admin_user, submitted):
    flagged, _ = submitted
    client.force_login(admin_user)
    client.get("/admin/intake/response/")
    client.get(f"/admin/intake/response/{flagged.response.pk}/change/")
    client.get(f"/admin/intake/issuedhandout/{flagged.response.handout.pk}/change/")
    case = Case.objects.get(appointment=flagged)
    client.get(f"/admin/clinic/case/{case.pk}/change/")
    whats = list(_accesses(actor=admin_user).values_list("additional_data__what", flat=True))
    assert whats == [
        "admin list: responses",
        "admin: response",
        "admin: issued handout",
        "admin: case",
    ]


def test_the_audit_log_can_not_be_changed_or_deleted_in_the_admin_even_by_a_superuser(
    client, admin_user, submitted
):
    assert admin_user.is_superuser
    client.force_login(admin_user)
    entry = LogEntry.objects.first()
    base = f"/admin/auditlog/logentry/{entry.pk}"
    assert client.get(f"{base}/change/").status_code == 200  # read-only view
    assert client.post(f"{base}/change/", {"object_repr": "rewritten"}).status_code == 403
    assert client.get(f"{base}/delete/").status_code == 403
    assert client.post(f"{base}/delete/", {"post": "yes"}).status_code == 403
    assert client.get("/admin/auditlog/logentry/add/").status_code == 403
    changelist = client.post(
        "/admin/auditlog/logentry/",
        {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"},
    )
    assert changelist.status_code in (200, 302)
    assert LogEntry.objects.filter(pk=entry.pk).exists()


@pytest.mark.postgres_only
def test_the_database_refuses_to_update_or_delete_audit_entries(submitted):
    assert connection.vendor == "postgresql"
    entry = LogEntry.objects.first()
    for sql in (
        "UPDATE auditlog_logentry SET object_repr = 'rewritten' WHERE id = %s",
        "DELETE FROM auditlog_logentry WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [entry.pk])
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        LogEntry.objects.filter(pk=entry.pk).update(object_repr="rewritten")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        LogEntry.objects.filter(pk=entry.pk).delete()
    entry.refresh_from_db()
    assert entry.object_repr != "rewritten"
    # Appending still works.
    LogEntry.objects.create(
        content_type=entry.content_type, object_pk="1", object_repr="x", action=ACCESS
    )


def test_the_audit_log_is_filtered_by_patient_and_by_user_and_exported_as_csv(
    client, clinician, admin_user, submitted
):
    flagged, routine = submitted
    reader = client
    reader.force_login(clinician)
    reader.get(f"/dashboard/appointments/{routine.pk}/answers/")
    reader.get(f"/dashboard/cases/{Case.objects.get(appointment=flagged).pk}/")
    reader.force_login(admin_user)
    by_patient = reader.get(f"/admin/auditlog/logentry/?patient={routine.patient_id}")
    assert by_patient.status_code == 200
    shown = by_patient.context["cl"].result_list
    assert shown and all(f",{routine.patient_id}," in e.additional_data["patients"] for e in shown)
    by_user = reader.get(f"/admin/auditlog/logentry/?actor__id__exact={clinician.pk}")
    assert {e.actor_id for e in by_user.context["cl"].result_list} == {clinician.pk}

    export = reader.get(
        f"/admin/auditlog/logentry/export.csv?patient={routine.patient_id}"
        f"&actor__id__exact={clinician.pk}"
    )
    assert export["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(export.content.decode())))
    assert rows[0][:3] == ["when", "who", "action"]
    assert [(r[1], r[3], r[6]) for r in rows[1:]] == [
        (clinician.username, "answers", str(routine.patient_id))
    ]
    # The export itself is in the trail.
    assert _accesses(actor=admin_user, additional_data__what="audit export").exists()


def test_csv_cells_never_start_a_spreadsheet_formula():
    from clinic.audit.export import _cell

    assert _cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert _cell("clin") == "clin"
