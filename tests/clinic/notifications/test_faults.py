"""The ways Celery with Redis loses or repeats work, provoked for real.

Each test uses a private redis-server (so it can be stopped without touching anyone else), a
Celery worker in its own process (`celery -A clinic worker`, prefork, as in production) pointed at
the test database, and an SMTP server on this machine that the worker's Django SMTP backend
talks to. Waits poll with a deadline; nothing sleeps longer than it must.
"""

import io
import time
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone

from clinic.notifications.email import message_id
from clinic.notifications.models import (
    AttemptOutcome,
    DeliveryAttempt,
    Notification,
    NotificationChannel,
)
from clinic.notifications.sweep import notifications_sweep
from clinic.notifications.tasks import notification_deliver
from clinic.review.models import Case
from clinic.review.services import case_flag
from clinic.staff.models import StaffProfile
from clinic.staff.roles import Role
from intake.links.services import link_issue
from intake.questionnaires.services import definition_for, questionnaire_default
from intake.responses.models import IssuedHandout
from tests.factories import AppointmentFactory, PatientFactory, UserFactory, reason
from tests.fakes import (
    SmtpRecorder,
    Worker,
    database_url,
    wait_until,
)
from tests.portal_support import page_posts
from tests.vignette_answers import VIGNETTES

pytestmark = [
    pytest.mark.worker,
    pytest.mark.postgres_only,
    pytest.mark.django_db(transaction=True),
]

REASONS = [reason(rule_id="x", level="emergency", text="Chest pain", evidence={})]


@pytest.fixture
def smtp():
    recorder = SmtpRecorder().start()
    yield recorder
    recorder.stop()


@pytest.fixture
def start_worker(broker, smtp, tmp_path, request):
    started = []

    def start(**options) -> Worker:
        worker = Worker(
            broker_url=broker.url,
            database=database_url(connection.settings_dict),
            smtp=smtp,
            log_dir=tmp_path,
            **options,
        )
        started.append(worker)
        return worker.start()

    yield start
    report = getattr(request.node, "rep_call", None)
    for worker in started:
        worker.stop()
        if report is not None and report.failed:
            print(f"\n--- log of {worker.name} ---\n{worker.log()[-6000:]}")


def on_duty_clinician():
    user = UserFactory(username="on-call", role=Role.CLINICIAN.value)
    StaffProfile.objects.create(user=user, on_duty=True)
    return user


def flag_case():
    """A case flagged in its own transaction: its notifications are queued when it commits."""
    return case_flag(appointment=AppointmentFactory(), level="emergency", reasons=REASONS)


def emails():
    return Notification.objects.filter(channel=NotificationChannel.EMAIL)


def all_sent(count: int):
    return lambda: emails().filter(status="sent").count() == count


def drained(broker, unacked: int = 0):
    """No message waiting and none taken but unacknowledged: every run has finished."""
    return lambda: broker.queued() == 0 and broker.unacked() == unacked


def assert_each_delivered_once(smtp, rows):
    expected = sorted(message_id(row) for row in rows)
    assert sorted(item.message_id for item in smtp.received) == expected


# 1 --------------------------------------------------------------------------------------------


def test_a_worker_killed_mid_delivery_leaves_every_notification_delivered_exactly_once(
    broker, smtp, start_worker, settings
):
    on_duty_clinician()
    smtp.stall_next()  # the first email holds its worker inside the SMTP conversation
    for _ in range(4):
        flag_case()
    rows = list(emails())
    assert len(rows) == 4

    first = start_worker()
    assert smtp.stalled.wait(30), first.log()
    [stuck] = emails().filter(status="sending")
    first.kill()  # SIGKILL to the main process and its pool child at once
    smtp.release()
    assert smtp.received == []
    assert Notification.objects.get(pk=stuck.pk).status == "sending"
    held = broker.unacked()
    assert held >= 1  # Redis would give these back only after its 2-hour visibility timeout

    # Beat's sweep, once the row has been SENDING past the timeout (2 s here, 5 min in use).
    settings.NOTIFICATION_SENDING_TIMEOUT_SECONDS = 2
    settings.NOTIFICATION_PENDING_GRACE_SECONDS = 1
    wait_until(lambda: notifications_sweep().interrupted, timeout=10, interval=0.25, what="sweep")

    start_worker()
    wait_until(all_sent(4), timeout=30, what="every email sent")
    wait_until(drained(broker, unacked=held), timeout=20, what="queue drained")
    # Two hours later Redis redelivers what the killed worker held: it must send nothing.
    broker.redeliver_unacked()
    wait_until(drained(broker), timeout=20, what="redelivered messages run")

    assert_each_delivered_once(smtp, rows)
    outcomes = list(
        DeliveryAttempt.objects.filter(notification=stuck).values_list("outcome", flat=True)
    )
    assert outcomes == [AttemptOutcome.INTERRUPTED, AttemptOutcome.SENT]


# 2 --------------------------------------------------------------------------------------------


def submit_as_patient(appointment, token, answers) -> bytes:
    """The whole portal visit over HTTP; returns the page the patient ends on."""
    browser = Client()
    browser.get(f"/p/{token}/")
    verified = browser.post(
        "/p/verify/", {"date_of_birth": appointment.patient.date_of_birth.isoformat()}
    )
    assert verified.status_code == 302
    definition = definition_for(questionnaire_default())
    for page_id, data in page_posts(definition, answers):
        saved = browser.post(f"/p/q/{page_id}/", {**data, "action": "next"})
        assert saved.status_code == 302, (page_id, saved.content[:500])
    submitted = browser.post("/p/review/")
    assert submitted.status_code == 302 and submitted["Location"] == "/p/done/"
    done = browser.get("/p/done/")
    assert done.status_code == 200
    return done.content


def test_patients_submit_while_the_broker_is_down_and_every_notification_follows_once(
    broker, smtp, start_worker, settings
):
    clinician = on_duty_clinician()
    call_command("sync_content", approve_as=clinician.username, stdout=io.StringIO())
    visits = []
    for vignette in ("V07", "V08", "V09"):
        today = timezone.localdate()
        born = today.replace(year=today.year - VIGNETTES[vignette]["age"]) - timedelta(days=30)
        patient = PatientFactory(date_of_birth=born)
        appointment = AppointmentFactory(patient=patient)
        visits.append((appointment, link_issue(appointment=appointment)[1], vignette))

    broker.stop()
    for appointment, token, vignette in visits:
        began = time.monotonic()
        page = submit_as_patient(appointment, token, VIGNETTES[vignette]["answers"])
        assert time.monotonic() - began < 20
        handout = IssuedHandout.objects.get(response__appointment=appointment)
        assert b"Your answers were sent" in page
        assert handout.html.encode() in page  # the patient sees their handout
    assert Case.objects.count() == 3
    rows = list(emails())
    assert len(rows) == 3 and {row.status for row in rows} == {"pending"}

    broker.start()
    start_worker()
    # Nothing reached Redis while it was down: beat's minute sweep finds the rows.
    settings.NOTIFICATION_PENDING_GRACE_SECONDS = 1
    queued = []

    def sweep_until_all_queued():
        queued.append(notifications_sweep().queued)  # as beat does, once a minute
        return sum(queued) >= 3

    wait_until(sweep_until_all_queued, timeout=15, interval=1.1, what="the sweep")
    wait_until(all_sent(3), timeout=30, what="every email sent")
    wait_until(drained(broker), timeout=20, what="queue drained")
    assert_each_delivered_once(smtp, rows)


# 3 --------------------------------------------------------------------------------------------


def test_a_rolled_back_flag_sends_nothing(broker, smtp, start_worker):
    on_duty_clinician()
    start_worker()
    rolled_back = AppointmentFactory()
    with pytest.raises(RuntimeError), transaction.atomic():
        case_flag(appointment=rolled_back, level="emergency", reasons=REASONS)
        assert emails().count() == 1  # made inside the transaction...
        raise RuntimeError("the submission failed after the flag")
    # A case flagged afterwards goes through the same worker: once it arrives, anything queued
    # before it has run too.
    sentinel = flag_case()
    wait_until(all_sent(1), timeout=30, what="the later case's email")
    wait_until(drained(broker), timeout=20, what="queue drained")
    assert not Case.objects.filter(appointment=rolled_back).exists()
    assert set(Notification.objects.values_list("case", flat=True)) == {sentinel.pk}
    assert_each_delivered_once(smtp, list(emails()))


# 4 --------------------------------------------------------------------------------------------


def test_the_delivery_task_run_twice_sends_one_email(broker, smtp, start_worker):
    on_duty_clinician()
    smtp.slow_down(0.3)  # so the runs overlap in the worker's two processes
    start_worker(concurrency=2)
    flag_case()  # queued once by the commit
    [row] = emails()
    notification_deliver.delay(row.pk)  # and twice more
    notification_deliver.delay(row.pk)
    wait_until(all_sent(1), timeout=30, what="the email sent")
    wait_until(drained(broker), timeout=20, what="all three runs finished")
    assert_each_delivered_once(smtp, [row])
    assert smtp.data_commands == 1
    assert DeliveryAttempt.objects.filter(notification=row).count() == 1


# 5 --------------------------------------------------------------------------------------------


def test_smtp_451_twice_then_accepted_is_delivered_once_with_the_attempts_recorded(
    broker, smtp, start_worker
):
    on_duty_clinician()
    smtp.refuse(2)  # "451 4.3.0 Try again later" to the first two DATA commands
    start_worker()  # retry base of 1 s in its environment: retries after ~1 s, then ~2 s
    flag_case()
    [row] = emails()
    wait_until(all_sent(1), timeout=30, what="the email sent")
    wait_until(drained(broker), timeout=20, what="queue drained")
    assert_each_delivered_once(smtp, [row])
    assert smtp.data_commands == 3
    row.refresh_from_db()
    assert row.attempts == 3 and row.last_error == ""
    attempts = list(row.delivery_attempts.order_by("number"))
    assert [a.outcome for a in attempts] == ["transient", "transient", "sent"]
    assert all("451" in a.error for a in attempts[:2])
    # Exponential backoff: about 0.5-1 s after the first refusal, 1-2 s after the second.
    waits = [b.started_at - a.finished_at for a, b in zip(attempts, attempts[1:], strict=False)]
    assert waits[0] >= timedelta(seconds=0.45) and waits[1] >= timedelta(seconds=0.95)


# A relay outage far longer than the old retry window ------------------------------------------


def test_a_relay_outage_longer_than_any_retry_loses_no_flag_email(broker, smtp, start_worker):
    """The relay answers 451 to everything for 40 s while 20 cases are flagged.

    Time is shortened by settings, not by touching our code: backoff from 1 s, capped at 2 s
    (production: 30 s and 5 minutes), so the outage is 20 caps long, as an outage of 100 minutes
    is in production; the old limit of 5 tries gave up after about 7 s here. Every flag email is
    delivered exactly once, promptly after the relay is back, and none is marked failed.
    """
    on_duty_clinician()
    smtp.refuse_for(40)
    start_worker(
        concurrency=2,
        extra_env={
            "NOTIFICATION_RETRY_MAX_SECONDS": "2",
            "NOTIFICATION_RETRY_WINDOW_MINUTES": "30",
        },
    )
    for _ in range(20):
        flag_case()
    rows = list(emails())
    assert len(rows) == 20
    down_until = time.monotonic() + 40
    wait_until(
        lambda: DeliveryAttempt.objects.filter(outcome=AttemptOutcome.TRANSIENT).count() >= 100,
        timeout=45,
        what="many refused tries during the outage",
    )
    assert smtp.count() == 0
    assert not emails().filter(status="failed").exists()
    wait_until(all_sent(20), timeout=60, what="every flag email sent after the outage")
    caught_up = time.monotonic() - down_until
    wait_until(drained(broker), timeout=30, what="queue drained")
    assert_each_delivered_once(smtp, rows)
    assert not emails().filter(status="failed").exists()
    assert caught_up < 10, f"caught up {caught_up:.1f} s after the relay came back"
    assert not Notification.objects.filter(kind="delivery_failed").exists()
