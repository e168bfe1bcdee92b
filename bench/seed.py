"""Bulk data for the benchmarks: a clinic a year into using Previsit.

`recreate_database()` drops and recreates the bench database; `migrate()` runs the project's
migrations on it; `seed()` (Django set up on that database) writes, with PostgreSQL COPY:

- 100,000 patients, each with an appointment (four months back to one month ahead), a link,
  and a submitted response whose answers, scores, triage and handout snapshot are those the
  portal stores for one of the 20 vignettes in tests/vignette_answers.py;
- 10% of those responses flagged: a Case with its events (resolved when the appointment is
  past, open when it is to come);
- two pools of appointments to come whose answers are complete but not yet sent, for the
  portal load: a small one whose link tokens are returned (the harness opens each link and
  confirms the birth date over HTTP, as a patient does), and a large one for the final
  submit, each with a verified portal session written straight into django_session (what
  the link and birth-date check leave behind), because opening thousands of links over HTTP
  would take a minute of the 15 the whole run has.

Every vignette is evaluated once with the same code the portal runs (`evaluate_answers`), and
its results are copied to the rows that use it: realistic sizes, without 100,000 evaluations.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum

import psycopg
from psycopg import sql

BENCH_DB = "previsit_bench"

FIRST_NAMES = [
    "Ada",
    "Alan",
    "Amara",
    "Ana",
    "Ben",
    "Carla",
    "Chen",
    "Dara",
    "Eli",
    "Emma",
    "Farah",
    "Gus",
    "Hana",
    "Ian",
    "Ines",
    "Jon",
    "Kai",
    "Lea",
    "Luis",
    "Maya",
    "Mei",
    "Nadia",
    "Noor",
    "Omar",
    "Pia",
    "Raj",
    "Rosa",
    "Sam",
    "Sara",
    "Tariq",
    "Tess",
    "Uma",
    "Vic",
    "Wen",
    "Yara",
    "Yusuf",
    "Zoe",
]
LAST_NAMES = [
    "Abbott",
    "Bauer",
    "Brown",
    "Chavez",
    "Cohen",
    "Costa",
    "Diaz",
    "Dubois",
    "Evans",
    "Fischer",
    "Garcia",
    "Gray",
    "Haddad",
    "Hughes",
    "Ibrahim",
    "Jensen",
    "Kim",
    "Kowalski",
    "Lee",
    "Lopez",
    "Martin",
    "Meyer",
    "Murphy",
    "Nguyen",
    "Novak",
    "Okafor",
    "Park",
    "Patel",
    "Perez",
    "Quinn",
    "Rossi",
    "Sato",
    "Schmidt",
    "Silva",
    "Singh",
    "Smith",
    "Tanaka",
    "Taylor",
    "Walsh",
    "Wong",
    "Young",
    "Zhang",
]


@dataclass(frozen=True)
class PoolPatient:
    appointment_id: int
    token: str | None  # the page pool's links are opened over HTTP; the submit pool's are not
    date_of_birth: str
    vignette: str
    session_key: str | None = None


@dataclass
class Seeded:
    clinicians: list[str]
    password: str
    page_pool: list[PoolPatient]
    submit_pool: list[PoolPatient]
    case_ids: list[int]
    open_case_ids: list[int]
    handout_response_ids: list[int]  # submitted responses with a handout and no PDF yet
    vignette_levels: dict[str, str] = field(default_factory=dict)  # the triage level each gets
    counts: dict = field(default_factory=dict)
    seconds: dict = field(default_factory=dict)


def admin_dsn(database_url: str) -> str:
    """The same server, the maintenance database: where CREATE/DROP DATABASE run."""
    base, _, _ = database_url.rpartition("/")
    return f"{base}/postgres"


def database_name(database_url: str) -> str:
    return database_url.rsplit("/", 1)[-1].split("?", 1)[0]


def recreate_database(*, database_url: str) -> None:
    name = database_name(database_url)
    with psycopg.connect(admin_dsn(database_url), autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def drop_database(*, database_url: str) -> None:
    name = database_name(database_url)
    with psycopg.connect(admin_dsn(database_url), autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def _birth_date(visit: date, age: int, n: int) -> date:
    """A birth date that makes the patient exactly `age` on the day of the visit."""
    return visit - timedelta(days=int(365.25 * age) + 2 + n % 300)


def _portal_answers(definition, vignette_answers: dict) -> tuple[dict, list[str]]:
    """The answers as the portal stores them after every page is posted, and the pages done."""
    from tests.portal_support import page_posts

    answers: dict = {}
    done = []
    for page_id, data in page_posts(definition, vignette_answers):
        cleaned, errors = definition.clean_page(page_id, data, answers)
        if errors:
            raise RuntimeError(f"vignette answers rejected on {page_id}: {errors}")
        answers = definition.with_page(answers, page_id, cleaned)
        done.append(page_id)
    return answers, done


@dataclass(frozen=True)
class _Evaluated:
    key: str
    age: int
    level: StrEnum  # advice.levels.TriageLevel (imported once Django is set up)
    answers: str  # JSON, dumped once and copied to every row that uses this vignette
    pages_done: str
    scores: str
    reasons: str
    handout: tuple | None  # the IssuedHandout columns after response_id


def _stored_json(model, field_name: str, value) -> str:
    """The column's JSON text for a value, as the field would store it (encrypted answers are
    one token: intake/responses/fields.py)."""
    return json.dumps(model._meta.get_field(field_name).get_prep_value(value))


def _evaluate_vignettes(definition) -> dict[str, _Evaluated]:
    from intake.responses.evaluation import evaluate_answers
    from intake.responses.models import Response
    from tests.vignette_answers import VIGNETTES

    out = {}
    for key, vignette in sorted(VIGNETTES.items()):
        answers, done = _portal_answers(definition, vignette["answers"])
        result = evaluate_answers(definition=definition, answers=answers, age=vignette["age"])
        handout = result.handout
        columns = None
        if handout is not None:
            columns = (
                handout.title,
                json.dumps(list(handout.topics)),
                handout.markdown,
                handout.html,
                json.dumps(handout.to_dict()["blocks"]),
                json.dumps(result.content_versions),
                json.dumps(list(handout.rules_fired)),
                handout.reading_grade,
                handout.word_count,
            )
        out[key] = _Evaluated(
            key=key,
            age=vignette["age"],
            level=result.triage.level,
            answers=_stored_json(Response, "answers", answers),
            pages_done=json.dumps(done),
            scores=json.dumps(result.scores),
            reasons=json.dumps([reason.to_dict() for reason in result.triage.reasons]),
            handout=columns,
        )
    return out


def _copy(cursor, model, fields: list[str], rows) -> int:
    """COPY rows into the model's table; returns how many."""
    meta = model._meta
    columns = sql.SQL(", ").join(sql.Identifier(meta.get_field(f).column) for f in fields)
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(sql.Identifier(meta.db_table), columns)
    count = 0
    with cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


def _reset_sequences(cursor, models) -> None:
    for model in models:
        table = model._meta.db_table
        cursor.execute(
            sql.SQL(
                "SELECT setval(pg_get_serial_sequence(%s, 'id'), "
                "COALESCE((SELECT MAX(id) FROM {}), 0) + 1, false)"
            ).format(sql.Identifier(table)),
            [table],
        )


def seed(
    *,
    history: int = 100_000,
    flagged_share: float = 0.10,
    page_pool: int = 300,
    submit_pool: int = 6_000,
    clinicians: int = 4,
    log=print,
) -> Seeded:
    """Write the bench data set. Django must be set up on a freshly migrated bench database."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.contrib.sessions.backends.base import VALID_KEY_CHARS
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.db import connection, transaction
    from django.utils import timezone
    from django.utils.crypto import get_random_string

    from advice.models import ContentStatus, ContentVersion
    from advice.services import content_approve, content_sync
    from clinic.records.models import Appointment, Patient
    from clinic.review.models import Case, CaseEvent
    from clinic.staff.roles import Role
    from intake.links.models import PrevisitLink
    from intake.links.services import token_hash
    from intake.portal.views import SESSION_APPOINTMENT, SESSION_SEEN, SESSION_TOKEN
    from intake.questionnaires.services import definition_for, questionnaire_default
    from intake.responses.models import IssuedHandout, Response

    seconds: dict[str, float] = {}
    started = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal started
        now = time.perf_counter()
        seconds[name] = round(now - started, 2)
        log(f"  seed: {name} in {seconds[name]:.1f} s")
        started = now

    # Staff and content, through the services, as a clinic sets itself up.
    User = get_user_model()
    password = secrets.token_urlsafe(12)
    group = Group.objects.get(name=Role.CLINICIAN.value)
    template = User(username="template")
    template.set_password(password)  # hashed once: PBKDF2 is slow by design
    staff = []
    for n in range(1, clinicians + 1):
        user = User.objects.create(
            username=f"bench-clinician-{n}",
            first_name="Bench",
            last_name=f"Clinician {n}",
            email=f"bench-clinician-{n}@bench.previsit.invalid",
            is_staff=True,
            password=template.password,
        )
        user.groups.add(group)
        staff.append(user)
    # One clinician on duty, so every flag also writes its notification rows (the outbox).
    from clinic.staff.models import StaffProfile

    StaffProfile.objects.create(user=staff[0], on_duty=True)
    content_sync()
    for version in ContentVersion.objects.filter(status=ContentStatus.DRAFT):
        content_approve(version=version, by=staff[0])
    questionnaire = questionnaire_default()
    definition = definition_for(questionnaire)
    evaluated = _evaluate_vignettes(definition)
    lap("staff, content, vignettes")

    flagged_keys = [k for k, e in evaluated.items() if e.level.flagged]
    routine_keys = [k for k, e in evaluated.items() if not e.level.flagged]
    every = round(1 / flagged_share)

    def vignette_for(n: int) -> _Evaluated:
        if n % every == 0:
            return evaluated[flagged_keys[(n // every) % len(flagged_keys)]]
        return evaluated[routine_keys[n % len(routine_keys)]]

    now = timezone.now().replace(microsecond=0)
    total = history + page_pool + submit_pool
    # Appointment n: history spread from 120 days back to 30 days ahead; pools 1-7 days ahead.
    plan = []  # (n, starts_at, vignette, kind)
    span = timedelta(days=150).total_seconds()
    for n in range(1, total + 1):
        if n <= history:
            starts = now - timedelta(days=120) + timedelta(seconds=span * n / history)
            kind = "history"
        else:
            starts = now + timedelta(days=1, minutes=(n * 7) % (6 * 24 * 60))
            kind = "page" if n <= history + page_pool else "submit"
        starts = starts.replace(minute=(starts.minute // 15) * 15, second=0)
        plan.append((n, starts, vignette_for(n), kind))

    expires_after = settings.PREVISIT_LINK_VALID_AFTER
    tokens: dict[int, str] = {}
    with transaction.atomic(), connection.cursor() as wrapper:
        cursor = wrapper.cursor  # the psycopg cursor, for COPY
        # 1.6 GB of handout snapshots: lz4 compresses them for TOAST several times faster than
        # the default pglz (a setting a production server may use too; reads are the same).
        cursor.execute(
            "SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'"
        )
        if cursor.fetchone()[0]:
            cursor.execute("SET LOCAL default_toast_compression = 'lz4'")
        _copy(
            cursor,
            Patient,
            ["id", "first_name", "last_name", "date_of_birth", "email", "phone"]
            + ["preferred_language", "created_at"],
            (
                (
                    n,
                    FIRST_NAMES[n % len(FIRST_NAMES)],
                    LAST_NAMES[(n // len(FIRST_NAMES)) % len(LAST_NAMES)],
                    _birth_date(starts.date(), v.age, n),
                    f"patient{n}@bench.previsit.invalid",
                    f"+1555{n:07d}",
                    "en",
                    starts - timedelta(days=30),
                )
                for n, starts, v, _ in plan
            ),
        )
        _copy(
            cursor,
            Appointment,
            ["id", "patient", "clinician", "starts_at", "reason", "status", "created_at"],
            (
                (
                    n,
                    n,
                    staff[n % len(staff)].pk,
                    starts,
                    "Pre-visit check",
                    "completed" if starts < now else "scheduled",
                    starts - timedelta(days=30),
                )
                for n, starts, _, _ in plan
            ),
        )
        lap("patients and appointments")

        def link_rows():
            for n, starts, _, kind in plan:
                if kind == "history":
                    digest = hashlib.sha256(n.to_bytes(8, "big") + b"history").hexdigest()
                else:
                    tokens[n] = secrets.token_urlsafe(24)
                    digest = token_hash(tokens[n])
                yield (n, n, digest, starts - timedelta(days=7), starts + expires_after, 0)

        _copy(
            cursor,
            PrevisitLink,
            ["id", "appointment", "token_hash", "created_at", "expires_at", "failed_attempts"],
            link_rows(),
        )

        def submitted_at(starts: datetime, n: int) -> datetime:
            return min(starts - timedelta(hours=1 + n % 70), now - timedelta(minutes=n % 600))

        def response_rows():
            for n, starts, v, kind in plan:
                if kind == "history":
                    sent = submitted_at(starts, n)
                    shown = sent if v.level == "emergency" else None
                    yield (
                        n, n, questionnaire.pk, "submitted", v.answers, v.pages_done, v.scores,
                        v.level, v.reasons, shown, sent - timedelta(minutes=9), sent, sent,
                    )  # fmt: skip
                else:
                    begun = now - timedelta(minutes=20)
                    yield (
                        n, n, questionnaire.pk, "in_progress", v.answers, v.pages_done, "{}",
                        "", "[]", None, begun, begun, None,
                    )  # fmt: skip

        _copy(
            cursor,
            Response,
            ["id", "appointment", "questionnaire", "status", "answers", "pages_done", "scores"]
            + ["triage_level", "triage_reasons", "emergency_shown_at", "started_at"]
            + ["updated_at", "submitted_at"],
            response_rows(),
        )
        lap("links and responses")

        handout_ids = []

        def handout_rows():
            for n, starts, v, kind in plan:
                if kind != "history" or v.handout is None:
                    continue
                handout_ids.append(n)
                yield (n, n, *v.handout, "", submitted_at(starts, n))

        _copy(
            cursor,
            IssuedHandout,
            ["id", "response", "title", "topics", "markdown", "html", "blocks"]
            + ["content_versions", "rules_fired", "reading_grade", "word_count", "pdf"]
            + ["created_at"],
            handout_rows(),
        )
        lap("handout snapshots")

        cases = []  # (case id, n, level, status, starts)
        for n, starts, v, kind in plan:
            if kind == "history" and v.level.flagged:
                status = "resolved" if starts < now else ("new" if n % 3 else "acknowledged")
                cases.append((len(cases) + 1, n, v, status, starts))

        def case_rows():
            for case_id, n, v, status, starts in cases:
                flagged = submitted_at(starts, n)
                acted = status != "new"
                yield (
                    case_id, n, v.level.value, v.level.rank, v.reasons, status,
                    flagged, staff[n % len(staff)].pk if acted else None,
                    flagged + timedelta(minutes=12) if acted else None,
                    flagged + timedelta(hours=3) if status == "resolved" else None,
                    "contacted" if status == "resolved" else "", None,
                    1 + acted + (status == "resolved"),
                )  # fmt: skip

        _copy(
            cursor,
            Case,
            ["id", "appointment", "level", "level_rank", "reasons", "status", "flagged_at"]
            + ["assigned_to", "acknowledged_at", "resolved_at", "disposition", "escalated_at"]
            + ["version"],
            case_rows(),
        )

        def event_rows():
            event_id = 0
            for case_id, n, v, status, starts in cases:
                flagged = submitted_at(starts, n)
                actor = staff[n % len(staff)].pk
                event_id += 1
                level = json.dumps({"level": v.level})
                yield (event_id, case_id, "flagged", None, flagged, "", level)
                if status != "new":
                    event_id += 1
                    acked = flagged + timedelta(minutes=12)
                    yield (event_id, case_id, "acknowledged", actor, acked, "", "{}")
                if status == "resolved":
                    event_id += 1
                    yield (
                        event_id, case_id, "resolved", actor, flagged + timedelta(hours=3),
                        "Called the patient.", json.dumps({"disposition": "contacted"}),
                    )  # fmt: skip

        _copy(
            cursor,
            CaseEvent,
            ["id", "case", "action", "actor", "at", "note", "detail"],
            event_rows(),
        )
        lap("cases and events")

        # The submit pool's verified sessions: what link_open and verify leave in the session.
        store = SessionStore()
        expires = now + timedelta(seconds=settings.SESSION_COOKIE_AGE)
        session_keys: dict[int, str] = {}

        def session_rows():
            seen = time.time()
            for n, _, _, kind in plan:
                if kind != "submit":
                    continue
                key = get_random_string(32, VALID_KEY_CHARS)
                session_keys[n] = key
                data = {
                    SESSION_TOKEN: token_hash(tokens[n]),
                    SESSION_APPOINTMENT: n,
                    SESSION_SEEN: seen,
                }
                yield (key, store.encode(data), expires)

        _copy(cursor, Session, ["session_key", "session_data", "expire_date"], session_rows())
        _reset_sequences(
            cursor,
            [Patient, Appointment, PrevisitLink, Response, IssuedHandout, Case, CaseEvent],
        )
        lap("portal sessions")

    # Fresh statistics and visibility maps, as autovacuum would have them on a live system.
    with connection.cursor() as cursor:
        for model in (Patient, Appointment, PrevisitLink, Response, Case, CaseEvent, Session):
            table = sql.Identifier(model._meta.db_table)
            cursor.execute(sql.SQL("VACUUM ANALYZE {}").format(table))
        cursor.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(IssuedHandout._meta.db_table)))
    lap("vacuum analyze")

    def pool(kind: str) -> list[PoolPatient]:
        return [
            PoolPatient(
                appointment_id=n,
                token=tokens[n] if kind == "page" else None,
                date_of_birth=_birth_date(starts.date(), v.age, n).isoformat(),
                vignette=v.key,
                session_key=session_keys.get(n),
            )
            for n, starts, v, k in plan
            if k == kind
        ]

    open_ids = [case_id for case_id, _, _, status, _ in cases if status != "resolved"]
    routine_with_handout = [n for n in handout_ids if n % every != 0]
    return Seeded(
        clinicians=[u.username for u in staff],
        password=password,
        page_pool=pool("page"),
        submit_pool=pool("submit"),
        case_ids=[c[0] for c in cases],
        open_case_ids=open_ids,
        handout_response_ids=routine_with_handout,
        vignette_levels={key: e.level.value for key, e in evaluated.items()},
        counts={
            "patients": total,
            "appointments": total,
            "submitted_responses": history,
            "flagged_cases": len(cases),
            "open_cases": len(open_ids),
            "handouts": len(handout_ids),
            "page_pool": page_pool,
            "submit_pool": submit_pool,
        },
        seconds=seconds,
    )
