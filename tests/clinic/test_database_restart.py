"""PostgreSQL restarted while patients save pages and submit, through the production web setup.

Real parts: a private PostgreSQL cluster holding a copy of the test database (so it can be
stopped without touching anyone else), gunicorn with production settings (persistent
connections, health-checked), nginx with the shipped site file, a private Redis. Patients are
threads speaking HTTPS; each repeats a request that failed, as a person presses reload.
"""

import re
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta

import httpx
import psycopg
import pytest
from django.db import connections
from django.utils import timezone

from clinic.notifications.models import Notification
from clinic.review.models import Case
from clinic.staff.roles import Role
from intake.links.services import link_issue
from intake.questionnaires.services import definition_for, questionnaire_default
from intake.responses.models import Response, ResponseStatus
from tests.factories import AppointmentFactory, PatientFactory, UserFactory
from tests.fakes import PostgresServer, database_url, wait_until
from tests.notifications_support import on_duty
from tests.portal_support import page_posts
from tests.vignette_answers import VIGNETTES
from tests.web_support import Gunicorn, Nginx, collect_static, production_env

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

# Two emergencies and an urgent case (each flags and notifies), three routine visits.
VISITS = ("V01", "V02", "V07", "V13", "V14", "V15")
ROUNDS = 3  # each patient saves every page this many times (going back to fix answers)
DOWN_FOR = 4.0  # seconds PostgreSQL stays down
GIVE_UP_AFTER = 90.0  # a patient retrying for this long has been failed


@dataclass
class Outcome:
    started: float
    path: str
    status: int | None  # None: no answer at all (connection refused, timeout)
    error: str = ""  # what went wrong: the exception, or the page's error messages


@dataclass
class Patient:
    vignette: str
    appointment_id: int
    token: str
    born: str
    outcomes: list[Outcome] = field(default_factory=list)
    finished_on: str = ""


def _visit(nginx: Nginx, patient: Patient, posts: list, csrf_name: str) -> None:
    """The whole portal visit; every request repeated until it gives the answer it should.
    (Runs in a thread of its own: no database access here, only HTTP.)"""
    with nginx.client(timeout=20) as client:

        def send(method: str, path: str, *, data=None, good=(200, 302)) -> httpx.Response:
            deadline = time.monotonic() + GIVE_UP_AFTER
            while True:
                began = time.monotonic()
                try:
                    token = client.cookies.get(csrf_name, "")
                    answer = client.request(method, path, data=data, headers={"X-CSRFToken": token})
                except httpx.HTTPError as exc:
                    patient.outcomes.append(Outcome(began, path, None, type(exc).__name__))
                else:
                    problem = _error_messages(answer) if answer.status_code == 400 else ""
                    patient.outcomes.append(Outcome(began, path, answer.status_code, problem))
                    if answer.status_code in good:
                        return answer
                if time.monotonic() > deadline:
                    raise AssertionError(f"{patient.vignette} gave up on {method} {path}")
                time.sleep(0.3)

        send("GET", f"/p/{patient.token}/")
        send("GET", "/p/verify/")
        verified = send("POST", "/p/verify/", data={"date_of_birth": patient.born}, good=(302,))
        assert verified.headers["location"].startswith("/p/"), verified.headers
        for _ in range(ROUNDS):
            for page_id, data in posts:
                send("POST", f"/p/q/{page_id}/", data={**data, "action": "next"}, good=(302,))
        submitted = send("POST", "/p/review/", good=(302,))
        patient.finished_on = submitted.headers["location"]


@pytest.fixture
def private_postgres():
    server = PostgresServer().start()
    yield server
    server.stop()


def test_postgresql_restarted_under_page_saves_and_submits_loses_and_doubles_nothing(
    private_postgres, redis_server, tmp_path
):
    clinician = UserFactory(username="on-call", role=Role.CLINICIAN.value, email="oc@example.org")
    on_duty(clinician)
    patients = []
    today = timezone.localdate()
    for vignette in VISITS:
        born = today.replace(year=today.year - VIGNETTES[vignette]["age"]) - timedelta(days=30)
        appointment = AppointmentFactory(patient=PatientFactory(date_of_birth=born))
        token = link_issue(appointment=appointment)[1]
        patients.append(Patient(vignette, appointment.pk, token, born.isoformat()))

    # The clinic's database, as it stands, on a server this test may restart.
    database = private_postgres.copy_database(
        database_url(connections["default"].settings_dict), "previsit"
    )
    env = production_env(
        database=database,
        redis_url=redis_server.url,
        static_root=tmp_path / "static",
        CONN_MAX_AGE="600",  # every worker keeps its connection across the restart
    )
    collect_static(tmp_path / "static", env)
    gunicorn = Gunicorn(env=env, log_dir=tmp_path).start()
    nginx = Nginx(upstream=gunicorn.address, folder=tmp_path / "nginx").start()
    failures: list[BaseException] = []

    definition = definition_for(questionnaire_default())
    posts = {p.vignette: page_posts(definition, VIGNETTES[p.vignette]["answers"]) for p in patients}

    def run(patient):
        try:
            _visit(nginx, patient, posts[patient.vignette], csrf_name="__Host-csrftoken")
        except BaseException as exc:  # reported by the main thread
            failures.append(exc)

    try:
        threads = [threading.Thread(target=run, args=(p,), daemon=True) for p in patients]
        for thread in threads:
            thread.start()
        # Restart once the patients are well into their pages, before any has submitted.
        wait_until(
            lambda: sum(len(p.outcomes) for p in patients) >= 40,
            timeout=60,
            what="patients saving pages",
        )
        went_down = time.monotonic()
        private_postgres.restart(down_for=DOWN_FOR)
        came_back = time.monotonic()
        for thread in threads:
            thread.join(timeout=GIVE_UP_AFTER + 60)
        assert not failures, failures
        assert all(p.finished_on for p in patients), [(p.vignette, p.finished_on) for p in patients]
    finally:
        nginx.stop()
        gunicorn.stop()

    outcomes = [o for p in patients for o in p.outcomes]
    statuses = [o.status for o in outcomes]
    # The restart happened under load: requests met it (else this test proves nothing).
    during = [o for o in outcomes if went_down <= o.started <= came_back]
    assert during and any(o.status != 200 and o.status != 302 for o in during), statuses
    # Never a 500: while the database was away the answer was 503 "back in a minute".
    assert 500 not in statuses, _log_tail(gunicorn)
    assert set(statuses) <= {200, 302, 503, None}, [
        (o.path, o.status, round(o.started - went_down, 2), o.error)
        for o in outcomes
        if o.status not in (200, 302, 503, None)
    ]
    # Once it was back, every request was answered as it should be, on the first try.
    after = [o for o in outcomes if o.started > came_back + 0.5]
    assert after and all(o.status in (200, 302) for o in after), [
        (o.path, o.status, o.error) for o in after if o.status not in (200, 302)
    ]

    # Nothing lost, nothing doubled: one submitted response per visit, one case per flag, one
    # notification per case for the clinician on duty.
    flagged = {p.appointment_id for p in patients if VIGNETTES[p.vignette]["level"] != "routine"}
    with psycopg.connect(database.replace("postgres://", "postgresql://")) as db:
        responses = db.execute(
            f"SELECT appointment_id, status FROM {Response._meta.db_table}"  # noqa: S608
        ).fetchall()
        cases = db.execute(
            f"SELECT appointment_id FROM {Case._meta.db_table}"  # noqa: S608
        ).fetchall()
        notifications = db.execute(
            f"SELECT case_id, recipient_id, channel, kind FROM {Notification._meta.db_table}"  # noqa: S608
            " WHERE case_id IS NOT NULL"
        ).fetchall()
    assert sorted(r[0] for r in responses) == sorted(p.appointment_id for p in patients)
    assert {r[1] for r in responses} == {ResponseStatus.SUBMITTED.value}
    assert sorted(c[0] for c in cases) == sorted(flagged)
    assert len(notifications) == len(set(notifications))
    assert {n[0] for n in notifications} and len({n[0] for n in notifications}) == len(flagged)
    assert {p.finished_on for p in patients} <= {"/p/done/", "/p/emergency/"}


def _error_messages(answer: httpx.Response) -> str:
    return " | ".join(
        re.findall(r'class="[^"]*(?:invalid-feedback|alert)[^"]*"[^>]*>(.*?)<', answer.text, re.S)
    )


def _log_tail(server) -> str:
    return server.log()[-4000:]
