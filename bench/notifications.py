"""Flag to delivered: how long until a flagged case's email is accepted by an SMTP server.

    .venv/bin/python bench/notifications.py --flags 1000 --json bench/out/notifications.json

Everything is real and on this machine: PostgreSQL (a throwaway database this script creates
and drops, or --database-url), Redis (a private redis-server it starts, or --redis-url with a
queue of its own), a Celery worker in its own process (prefork, production Celery settings) and
an SMTP server that records when it accepted each message.

One clinician is on duty, so each flag makes one in-app notification (visible when the flag
commits) and one email (delivered by the worker). Phases:

1. Redis round-trip: PING, timed from this process.
2. Latency: --flags cases flagged one at a time at a steady --rate; for each, the time from the
   start of `case_flag` to the commit (in-app visible) and to the SMTP server's acceptance.
3. Throughput: --burst cases flagged while the worker is stopped, so their emails wait in
   Redis; a worker is started and the backlog timed from the first acceptance to the last.
   (How fast one process can flag is reported beside it: flags come from many web processes.)

Targets (issue 6): p95 flag-to-email under 500 ms, at least 200 notifications a second.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_P95_MS = 500
TARGET_PER_SECOND = 200
DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432/postgres"
ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    rank = max(1, round(pct / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def summary_ms(seconds: list[float]) -> dict:
    ms = [s * 1000 for s in seconds]
    return {
        "n": len(ms),
        "p50": round(percentile(ms, 50), 2),
        "p95": round(percentile(ms, 95), 2),
        "p99": round(percentile(ms, 99), 2),
        "max": round(max(ms), 2),
    }


def database_for(args) -> tuple[str, str | None]:
    """(DATABASE_URL, name of a database we created and must drop)."""
    if args.database_url:
        return args.database_url, None
    import psycopg
    from psycopg import sql

    name = f"previsit_bench_notify_{os.getpid()}"
    with psycopg.connect(
        DEFAULT_SERVER.replace("postgres://", "postgresql://"), autocommit=True
    ) as c:
        c.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return DEFAULT_SERVER.rsplit("/", 1)[0] + f"/{name}", name


def drop_database(name: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(
        DEFAULT_SERVER.replace("postgres://", "postgresql://"), autocommit=True
    ) as c:
        c.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def redis_rtt(url: str, pings: int) -> dict:
    import redis

    client = redis.Redis.from_url(url)
    client.ping()
    samples = []
    for _ in range(pings):
        began = time.perf_counter()
        client.ping()
        samples.append(time.perf_counter() - began)
    return summary_ms(samples)


class CpuMeter:
    """CPU seconds used during a phase by each part: the worker (main process and pool), this
    process (which also runs the SMTP server), PostgreSQL and Redis. Empty without psutil."""

    def __init__(self, *, worker: int | None, redis: int | None):
        try:
            import psutil
        except ImportError:
            self._groups = {}
            return
        self._psutil = psutil
        self._groups = {
            "worker": lambda: self._tree(worker),
            "bench_and_smtp_server": lambda: [psutil.Process()],
            "postgres": lambda: [
                p for p in psutil.process_iter(["name"]) if p.info["name"] == "postgres"
            ],
            "redis": lambda: [psutil.Process(redis)] if redis else [],
        }
        self._start = self._sample()

    def _tree(self, pid):
        if pid is None:
            return []
        parent = self._psutil.Process(pid)
        return [parent, *parent.children(recursive=True)]

    def _sample(self) -> dict[str, dict[int, float]]:
        sample = {}
        for name, processes in self._groups.items():
            sample[name] = {}
            for process in processes():
                try:
                    times = process.cpu_times()
                    sample[name][process.pid] = times.user + times.system
                except self._psutil.Error:
                    pass
        return sample

    def stop(self) -> dict[str, float]:
        end = self._sample()
        return {
            name: sum(end[name].get(pid, 0) - self._start[name].get(pid, 0) for pid in end[name])
            for name in self._groups
        }


def make_appointments(count: int) -> list:
    from django.utils import timezone

    from clinic.records.models import Appointment, Patient

    patients = Patient.objects.bulk_create(
        Patient(first_name="Bench", last_name=f"Patient {n}", date_of_birth="1980-01-01")
        for n in range(count)
    )
    starts = timezone.now() + timedelta(days=1)
    return Appointment.objects.bulk_create(
        Appointment(patient=patient, starts_at=starts) for patient in patients
    )


def flag(appointment) -> tuple[int, float, float]:
    """(case id, seconds from start to commit, start time as time.time())."""
    from advice.triage import Reason, TriageLevel
    from clinic.review.services import case_flag

    reasons = [
        Reason(
            rule_id="bench",
            topic="global",
            level=TriageLevel.EMERGENCY,
            text="bench",
            act="Call the clinic now.",
        )
    ]
    started = time.time()
    began = time.perf_counter()
    case = case_flag(appointment=appointment, level="emergency", reasons=reasons)
    return case.pk, time.perf_counter() - began, started


def email_of_cases(case_ids: list[int]) -> dict[str, int]:
    """Message-ID -> case id for the cases' emails."""
    from clinic.notifications.email import message_id
    from clinic.notifications.models import Notification

    rows = Notification.objects.filter(case_id__in=case_ids, channel="email")
    return {message_id(row): row.case_id for row in rows}


def wait_for(smtp, message_ids: set[str], timeout: float) -> dict[str, float]:
    """When each email was accepted. Polls cheaply: the SMTP server shares this process."""
    deadline = time.monotonic() + timeout
    seen = 0
    while True:
        count = smtp.count()
        if count != seen:
            seen = count
            got = {r.message_id: r.at for r in smtp.received if r.message_id in message_ids}
            if len(got) == len(message_ids):
                return got
        if time.monotonic() > deadline:
            raise SystemExit(f"not every email arrived within {timeout} s")
        time.sleep(0.2)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--flags", type=int, default=1000, help="cases in the latency phase")
    parser.add_argument("--rate", type=float, default=50, help="flags a second (latency phase)")
    parser.add_argument("--burst", type=int, default=1000, help="cases in the throughput phase")
    parser.add_argument("--concurrency", type=int, default=4, help="worker processes")
    parser.add_argument("--pings", type=int, default=2000, help="Redis PINGs to time")
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument("--database-url", help="use this (empty, migratable) database")
    parser.add_argument("--redis-url", help="use this Redis instead of a private redis-server")
    args = parser.parse_args(argv)

    from tests.fakes import RedisServer, SmtpRecorder, Worker

    database_url, created_db = database_for(args)
    private_redis = None if args.redis_url else RedisServer().start()
    redis_url = args.redis_url or private_redis.url
    queue = f"bench-notifications-{os.getpid()}"
    smtp = SmtpRecorder().start()
    worker = None
    os.environ.update(
        DJANGO_SETTINGS_MODULE="clinic.settings",
        DJANGO_ENV="development",
        DEBUG="false",
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        CELERY_BROKER_URL=redis_url,
        CELERY_NOTIFICATION_QUEUE=queue,
        LOG_LEVEL="WARNING",
        **{key: str(value) for key, value in smtp.email_settings().items()},
    )
    try:
        import django

        django.setup()
        from django.contrib.auth import get_user_model
        from django.contrib.auth.models import Group
        from django.core.management import call_command

        from clinic.staff.models import StaffProfile

        call_command("migrate", verbosity=0)
        clinician = get_user_model().objects.create_user(
            "bench-clinician", email="bench-clinician@clinic.invalid", is_staff=True
        )
        clinician.groups.add(Group.objects.get(name="clinician"))
        StaffProfile.objects.create(user=clinician, on_duty=True)
        appointments = make_appointments(20 + args.flags + args.burst)

        worker = Worker(
            broker_url=redis_url,
            database=database_url,
            smtp=smtp,
            log_dir=Path(tempfile.gettempdir()),
            queue=queue,
            concurrency=args.concurrency,
            extra_env={"CONN_MAX_AGE": "60", "LOG_LEVEL": "WARNING"},
        ).start()

        # Warm up: worker processes, database connections, templates.
        warm = [flag(a)[0] for a in appointments[:20]]
        wait_for(smtp, set(email_of_cases(warm)), timeout=60)
        rtt = redis_rtt(redis_url, args.pings)

        # Latency at a steady rate.
        latency_set = appointments[20 : 20 + args.flags]
        flagged = {}
        began = time.perf_counter()
        for index, appointment in enumerate(latency_set):
            due = began + index / args.rate
            pause = due - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
            case_id, commit_s, started = flag(appointment)
            flagged[case_id] = (commit_s, started)
        offered = args.flags / (time.perf_counter() - began)
        ids = email_of_cases(list(flagged))
        arrived = wait_for(smtp, set(ids), timeout=120)
        to_email = [arrived[mid] - flagged[case][1] for mid, case in ids.items()]
        to_in_app = [commit for commit, _ in flagged.values()]

        # Throughput: a backlog queued while the worker was stopped, drained by a fresh worker.
        worker.stop()
        burst_set = appointments[20 + args.flags :]
        burst_started = time.time()
        burst_cases = [flag(a)[0] for a in burst_set]
        flags_done = time.time()
        burst_ids = email_of_cases(burst_cases)
        worker.start()
        cpu = CpuMeter(worker=worker.pid, redis=private_redis.pid if private_redis else None)
        burst_arrived = wait_for(smtp, set(burst_ids), timeout=300)
        cpu_seconds = cpu.stop()
        first, last = min(burst_arrived.values()), max(burst_arrived.values())
        drain_seconds = last - first
        duplicates = len(smtp.received) - len({r.message_id for r in smtp.received})
    finally:
        if worker is not None:
            worker.stop()
        smtp.stop()
        if private_redis is not None:
            private_redis.stop()
        else:
            import redis

            redis.Redis.from_url(redis_url).delete(queue)
        if created_db:
            from django.db import connections

            connections.close_all()
            drop_database(created_db)

    result = {
        "benchmark": "notifications: flag to delivered",
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "setup": {
            "worker_concurrency": args.concurrency,
            "broker": "private redis-server" if private_redis else "given Redis",
            "clinicians_on_duty": 1,
            "notifications_per_flag": {"in_app": 1, "email": 1},
        },
        "redis_ping_ms": rtt,
        "latency": {
            "flags": args.flags,
            "offered_flags_per_second": round(offered, 1),
            "flag_to_email_accepted_ms": summary_ms(to_email),
            "flag_to_in_app_visible_ms": summary_ms(to_in_app),
        },
        "throughput": {
            "backlog": args.burst,
            "emails_per_second": round((args.burst - 1) / drain_seconds, 1),
            "drain_seconds": round(drain_seconds, 3),
            "flags_per_second_one_process": round(args.burst / (flags_done - burst_started), 1),
        },
        "drain_cpu_ms_per_email": {
            name: round(1000 * seconds / args.burst, 2) for name, seconds in cpu_seconds.items()
        },
        "duplicates": duplicates,
        "targets": {"p95_ms": TARGET_P95_MS, "emails_per_second": TARGET_PER_SECOND},
    }
    email = result["latency"]["flag_to_email_accepted_ms"]
    result["met"] = {
        "p95": email["p95"] < TARGET_P95_MS,
        "throughput": result["throughput"]["emails_per_second"] >= TARGET_PER_SECOND,
    }
    print_table(result)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0 if duplicates == 0 else 1


def print_table(result: dict) -> None:
    email = result["latency"]["flag_to_email_accepted_ms"]
    in_app = result["latency"]["flag_to_in_app_visible_ms"]
    rtt = result["redis_ping_ms"]
    burst = result["throughput"]
    rows = [
        ("", "p50 ms", "p95 ms", "p99 ms", "max ms"),
        ("flag -> email accepted", email["p50"], email["p95"], email["p99"], email["max"]),
        ("flag -> in-app visible", in_app["p50"], in_app["p95"], in_app["p99"], in_app["max"]),
        ("Redis PING round-trip", rtt["p50"], rtt["p95"], rtt["p99"], rtt["max"]),
    ]
    print(
        f"\nNotifications, {result['latency']['flags']} flags at "
        f"{result['latency']['offered_flags_per_second']}/s, worker concurrency "
        f"{result['setup']['worker_concurrency']}, {result['machine']['cpus']} CPUs"
    )
    for row in rows:
        print(f"  {row[0]:<24}" + "".join(f"{cell:>10}" for cell in row[1:]))
    print(
        f"  backlog of {burst['backlog']} emails drained at {burst['emails_per_second']}/s "
        f"({burst['drain_seconds']} s); one process flags {burst['flags_per_second_one_process']}"
        f" cases/s; duplicate emails: {result['duplicates']}"
    )
    if result["drain_cpu_ms_per_email"]:
        parts = ", ".join(f"{k} {v}" for k, v in result["drain_cpu_ms_per_email"].items())
        print(f"  CPU ms per email while draining: {parts}")
    met = result["met"]
    print(
        f"  targets: p95 < {TARGET_P95_MS} ms {'met' if met['p95'] else 'NOT met'}; "
        f">= {TARGET_PER_SECOND} emails/s {'met' if met['throughput'] else 'NOT met'}\n"
    )


if __name__ == "__main__":
    raise SystemExit(main())
