"""No health information leaves in logs, URLs, emails or Celery task arguments.

A whole flow runs with the patient's distinctive name and answers: the link, a wrong date of
birth, the questionnaire with an emergency answer and free text, the flag and the emails it
sends to the clinicians on duty, the escalation to the admins, a patient reminder, a link that
locks itself, a clinician reading the case, and an error page. Then every log record, email,
redirect and task argument is searched for them.
"""

import io
import logging
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from clinic.notifications.delivery import notification_deliver
from clinic.notifications.models import Notification, NotificationChannel
from clinic.review.models import Case
from clinic.review.services import cases_escalate
from clinic.staff.models import StaffProfile
from intake.links.notices import link_locks_notify
from intake.links.reminders import appointment_reminders_send
from intake.links.services import link_issue
from intake.questionnaires.services import definition_for, questionnaire_default
from intake.responses.models import Response
from tests.factories import AppointmentFactory, PatientFactory, UserFactory
from tests.portal_support import page_posts
from tests.vignette_answers import VIGNETTES

pytestmark = pytest.mark.django_db

FIRST, LAST = "Quentavia", "Marchetti-Oyelaran"
BIRTH = "1961-07-29"
FREE_TEXT = {
    "reason-words": "crushing pain since the Zanzibar wedding",
    "medicines": "Xylorexin 40 from my cousin",
    "allergies": "Vantablack shellfish hives",
}
SECRETS = [FIRST, LAST, BIRTH, "Zanzibar", "Xylorexin", "Vantablack", "crushing pain"]


@pytest.fixture
def tasks(monkeypatch):
    """Every Celery task published during the test, with its arguments; none really sent."""
    from celery.app.task import Task

    published = []

    def record(self, args=None, kwargs=None, **options):
        published.append((self.name, args, kwargs))

    monkeypatch.setattr(Task, "apply_async", record)
    return published


def _deliver_everything():
    for notification in Notification.objects.exclude(channel=NotificationChannel.IN_APP):
        if notification.status == "pending":
            notification_deliver(notification_id=notification.pk)


def test_a_whole_flow_leaves_no_health_information_outside_the_database(
    client, caplog, mailoutbox, tasks, settings, django_capture_on_commit_callbacks, console
):
    caplog.set_level(logging.DEBUG)
    settings.DEBUG_PROPAGATE_EXCEPTIONS = False
    clinician = UserFactory(username="onduty", role="clinician")
    StaffProfile.objects.create(user=clinician, on_duty=True)
    admin = UserFactory(username="office", role="clinic_admin")
    call_command("sync_content", approve_as=clinician.username, stdout=io.StringIO())
    patient = PatientFactory(first_name=FIRST, last_name=LAST, date_of_birth=BIRTH)
    appointment = AppointmentFactory(
        patient=patient, starts_at=timezone.now() + timedelta(hours=30)
    )
    locations = []

    with django_capture_on_commit_callbacks(execute=True):
        # A reminder goes out first (48 hours before), with a link.
        appointment_reminders_send()
        _deliver_everything()
        # The patient answers, with an emergency and free text.
        _, token = link_issue(appointment=appointment)
        locations.append(client.get(f"/p/{token}/")["Location"])
        client.post("/p/verify/", {"date_of_birth": "1990-01-01"})
        locations.append(client.post("/p/verify/", {"date_of_birth": BIRTH})["Location"])
        definition = definition_for(questionnaire_default())
        for page_id, data in page_posts(definition, VIGNETTES["V02"]["answers"]):
            extra = {k: v for k, v in FREE_TEXT.items() if k in definition.page_item_ids(page_id)}
            answer = client.post(f"/p/q/{page_id}/", {**data, **extra, "action": "next"})
            locations.append(answer.get("Location", ""))
        # A bad request with health information in it: the error page must not echo it.
        bad = client.post("/p/q/no-such-page/", {"reason-words": "Zanzibar"})
        assert bad.status_code == 404 and b"Zanzibar" not in bad.content
        locations.append(client.post("/p/review/")["Location"])
        # The flag's emails, then nobody acknowledges: the escalation.
        _deliver_everything()
        case = Case.objects.get(appointment=appointment)
        Case.objects.filter(pk=case.pk).update(flagged_at=timezone.now() - timedelta(hours=3))
        cases_escalate()
        _deliver_everything()
        # Someone guesses at another of the patient's links until it locks: admins are told.
        other = AppointmentFactory(patient=patient)
        _, guessed = link_issue(appointment=other)
        guesser = Client()
        guesser.get(f"/p/{guessed}/")
        for _ in range(settings.PREVISIT_MAX_DOB_FAILURES):
            guesser.post("/p/verify/", {"date_of_birth": "1970-01-01"})
        link_locks_notify()  # beat's minute job
        _deliver_everything()
        # Email link scanners POST, PUT and OPTIONS the live links.
        scanner = Client(enforce_csrf_checks=True)
        for live in (token, guessed):
            for method in ("post", "put", "options"):
                getattr(scanner, method)(f"/p/{live}/")
        # A clinician reads the case.
        staff = client.__class__()
        staff.force_login(clinician)
        assert FIRST in staff.get(f"/dashboard/cases/{case.pk}/").content.decode()

    assert case.level == "emergency"
    stored = Response.objects.get(appointment=appointment).answers
    assert {k: stored.get(k) for k in FREE_TEXT} == FREE_TEXT  # the free text really was saved
    kinds = {n.kind for n in Notification.objects.filter(status="sent", channel="email")}
    assert kinds >= {"reminder_48h", "case_flagged", "case_escalated", "link_locked"}, kinds
    assert len(mailoutbox) >= 4
    assert {m.to[0] for m in mailoutbox} >= {patient.email, clinician.email, admin.email}

    written = console.getvalue()
    assert token not in written and guessed not in written, "a live link token reached the log"
    places = {
        "console log": written,
        "log": "\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in caplog.records),
        "email": "\n".join(
            f"{m.subject}\n{m.body}\n" + "".join(str(a[0]) for a in m.alternatives)
            for m in mailoutbox
        ),
        "redirects": "\n".join(locations),
        "task arguments": repr(tasks),
    }
    for place, text in places.items():
        for secret in SECRETS:
            assert secret.lower() not in text.lower(), f"{secret!r} found in {place}"
    # Tasks carry ids only.
    assert tasks and all(
        all(isinstance(a, int) for a in (args or ())) and not kwargs for _, args, kwargs in tasks
    ), tasks
