"""`make soak`: mixed portal and dashboard load for minutes on end, with a Celery worker killed
and Redis restarted in the middle; counts the errors, and the flag emails lost or sent twice.

    .venv/bin/python -m bench.soak [--minutes 10] [--keep-db]

The system is the one `make bench` measures (bench/servers.py): gunicorn and a Celery worker with
production settings on core 0 (the worker at nice 10), a redis-server of the soak's own, and the
machine's PostgreSQL with a database of the soak's own (previsit_soak, dropped at the end unless
--keep-db). Email goes to an SMTP server in this process that records each message it accepts
(tests/fakes.py, as bench/notifications.py uses it). This script and its load generator
(bench/load.py) run on core 1.

After 30 s of warm-up (reported as a phase of its own), --minutes of load at --rate requests a
second, from their due times (an open model: bench/load.py). Three in four are patients' visits,
each request sent when the last one answered: open the link, confirm the birth date, each page
shown and saved, submit. One visit in three gives answers that flag an emergency or urgent case,
which emails the clinician on duty. The fourth request is a signed-in clinician's: the queue or
a case page.

- A third of the way in, the worker is killed (SIGKILL to its process group) while one of its
  deliveries is inside the SMTP conversation: the SMTP server holds that DATA command until the
  kill. A new worker is started at once. The killed delivery's row stays SENDING until the sweep
  hands it out again, NOTIFICATION_SENDING_TIMEOUT_SECONDS (5 minutes) later.
- Two thirds of the way in, the private Redis is stopped (memory-only: every queued and
  unacknowledged message goes with it), kept down --outage seconds (25), and started again,
  empty.
- This script stands in for beat and publishes beat's notification sweep every minute. Beat's
  other jobs would act on the seeded history (reminders to its patients, which mint new links
  under the load's feet; escalations of its old cases) and are not what is measured.

After the load, the outbox must drain within --drain-timeout: every email row sent, failed or
cancelled, and every sent one received. A notification is delivered when a message with its
Message-ID (clinic/notifications/email.py) reached the SMTP server, lost when none did, doubled
when more than one did. Writes bench/out/soak.json and prints a table; exits 1 if any
notification was lost or doubled (or a paging flag has no email row), 2 if the run itself
failed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import shutil
import signal
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import psutil

from bench import load, run, seed, servers
from bench.load import Call, Sample, VirtualUser

SOAK_DB = "previsit_soak"
RESULT = servers.OUT / "soak.json"
# Long enough that the first submits of each web process (the first imports textstat, say) are
# in the warm-up; its requests are reported as a phase of their own all the same.
WARMUP_S = 30
# Beat's sweep runs every minute (CELERY_BEAT_SCHEDULE), its tick expiring after 55 s.
BEAT_TICK_S = 60
CPU_SAMPLE_S = 5
SWEEP_TASK = "clinic.notifications.tasks.notifications_sweep"
# The levels whose flag emails the clinicians on duty (clinic/review/notices.py: pages_someone).
PAGING_LEVELS = {"emergency", "urgent"}
PAGING_EVERY = 3
DASHBOARD_EVERY = 4  # request 4, 8, 12... is a clinician's
DASHBOARD_TAGS = {"queue", "case"}
# A patient presses again after a failed request; after this many failures in a row, gives up.
MAX_TRIES = 5
# Visits open at once: enough that each patient pauses a second or so between requests; more
# are opened while every open one waits for an answer (a slow server), up to MOST_VISITS.
OPEN_VISITS = 20
MOST_VISITS = 60
MESSAGE_ID = re.compile(r"^<previsit-notification-(\d+)@")
log = run.log


# --- Who sends what -----------------------------------------------------------------------------


@dataclass
class Visit:
    """One patient's visit: the requests their browser makes, in order, one at a time."""

    calls: list[Call]
    step: int = 0
    busy: bool = False
    failures: int = 0  # of the current step, in a row

    @property
    def finished(self) -> bool:
        return self.step >= len(self.calls)


class Portal:
    """Patients at their visits. Each sends its next request only once the last one answered,
    and tries a failed one again (as a patient presses again) up to MAX_TRIES times."""

    def __init__(self, patients: Iterable[seed.PoolPatient], posts: dict[str, list]):
        self.waiting = iter(patients)
        self.posts = posts
        self.active: list[Visit] = []
        self.turn = 0
        self.counts = Counter()

    def _open(self) -> Visit | None:
        patient = next(self.waiting, None)
        if patient is None:
            return None
        user = VirtualUser(f"patient-{patient.appointment_id}")
        user.mint_csrf(run.CSRF_COOKIE)
        calls = run.open_link_calls(user, patient)
        for page_id, data in self.posts[patient.vignette]:
            calls.append(Call("page_get", "GET", f"/p/q/{page_id}/", user))
            calls.append(run.page_post_call(user, page_id, data))
        calls.append(run.submit_call(user))
        visit = Visit(calls)
        user.state["visit"] = visit
        self.active.append(visit)
        self.counts["started"] += 1
        return visit

    def next_call(self) -> Call | None:
        while len(self.active) < OPEN_VISITS and self._open():
            pass
        count = len(self.active)
        for offset in range(count):
            visit = self.active[(self.turn + offset) % count]
            if not visit.busy:
                self.turn = (self.turn + offset + 1) % count
                break
        else:
            visit = self._open() if count < MOST_VISITS else None
        if visit is None:
            self.counts["no_patient_free"] += 1
            return None
        visit.busy = True
        return visit.calls[visit.step]

    def on_done(self, call: Call, sample: Sample) -> None:
        visit = call.user.state.get("visit") if call.user is not None else None
        if visit is None:  # a clinician's
            return
        visit.busy = False
        if sample.ok:
            visit.step += 1
            visit.failures = 0
            self.counts["submitted"] += call.tag == "submit"
        else:
            visit.failures += 1
            if visit.failures >= MAX_TRIES:
                visit.step = len(visit.calls)
                self.counts["abandoned"] += 1
        if visit.finished:
            self.active.remove(visit)


def visit_order(pool: Sequence[seed.PoolPatient], levels: dict[str, str]) -> list:
    """The pool with every PAGING_EVERY-th visit one that emails the clinician on duty."""
    paging = iter([p for p in pool if levels.get(p.vignette) in PAGING_LEVELS])
    others = iter([p for p in pool if levels.get(p.vignette) not in PAGING_LEVELS])
    ordered = []
    for n in range(len(pool)):
        first, then = (paging, others) if n % PAGING_EVERY == 0 else (others, paging)
        ordered.append(next(first, None) or next(then))
    return ordered


# --- What happens to the system while the load runs ---------------------------------------------


class CpuSampler(threading.Thread):
    """Every CPU_SAMPLE_S: how busy the machine's cores were, and the soak's own processes."""

    def __init__(self, system: System):
        super().__init__(name="soak-cpu", daemon=True)
        self.system = system
        self.samples: list[tuple[float, float, dict[int, float]]] = []  # (at, busy, ours by pid)
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            with contextlib.suppress(psutil.Error):
                busy, ours = servers.busy_seconds(), self.system.cpu_by_pid()
                self.samples.append((time.monotonic(), busy, ours))
            self.stopping.wait(CPU_SAMPLE_S)

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=30)


class Operator(threading.Thread):
    """What happens around the load: beat's sweep every minute, the worker killed at one time
    and Redis stopped at another. Times are time.monotonic(), the load generator's clock."""

    def __init__(
        self,
        *,
        system: System,
        kill_at: float,
        outage_at: float,
        outage_s: float,
        supervise: bool = False,
    ):
        super().__init__(name="soak-operator", daemon=True)
        self.system = system
        self.plan = [(kill_at, self.kill_worker), (outage_at, self.restart_redis)]
        self.outage_s = outage_s
        self.supervise = supervise
        self.workers_started = 1
        self.events: list[dict] = []
        self.ticks = Counter()
        self.errors: list[str] = []
        self.stopping = threading.Event()

    def event(self, what: str, **detail) -> None:
        self.events.append({"at": time.monotonic(), "what": what, **detail})
        log(f"  {what} {detail or ''}")

    def run(self) -> None:
        next_tick = time.monotonic() + BEAT_TICK_S
        try:
            while not self.stopping.is_set():
                now = time.monotonic()
                if self.plan and now >= self.plan[0][0]:
                    self.attempt(self.plan.pop(0)[1])
                elif now >= next_tick:
                    self.attempt(self.tick)
                    while next_tick <= time.monotonic():  # a tick nobody ran is dropped
                        next_tick += BEAT_TICK_S
                else:
                    self.attempt(self.watch_worker)
                    due = min([next_tick] + [at for at, _ in self.plan[:1]])
                    self.stopping.wait(min(due - now, 1.0))
        finally:
            from django.db import connection

            connection.close()

    def attempt(self, action) -> None:
        """One thing the operator does; if it fails, that is reported and the rest goes on."""
        try:
            action()
        except Exception as exc:
            self.errors.append(f"{action.__name__}: {type(exc).__name__}: {exc}")
            self.event(f"{action.__name__} failed", error=f"{type(exc).__name__}: {exc}")

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=60)

    def tick(self) -> None:
        from clinic.celery import PUBLISH_ERRORS, task_named
        from clinic.notifications.outbox import PUBLISH_RETRY_POLICY

        try:
            task_named(SWEEP_TASK).apply_async(
                expires=55, retry=True, retry_policy=PUBLISH_RETRY_POLICY
            )
            self.ticks["published"] += 1
        except PUBLISH_ERRORS as exc:
            self.ticks["not_published"] += 1
            self.event("beat tick not published", error=type(exc).__name__)

    def watch_worker(self) -> None:
        """A worker that exited by itself is reported; with --supervise it is started again at
        once, as a service manager (systemd's Restart=always) would."""
        worker = self.system.worker
        if worker is None or worker.popen is None or worker.alive():
            return
        code = worker.popen.returncode
        lines = worker.log_tail(400).splitlines()
        why = next((line for line in reversed(lines) if "Unrecoverable error" in line), "")
        with contextlib.suppress(ProcessLookupError):
            os.killpg(worker.pid, signal.SIGKILL)  # whatever of its pool is left
        worker.stop(timeout=5)
        self.event("worker exited by itself", exit_code=code, error=why.split("] ", 1)[-1])
        if self.supervise:
            self.restart_worker("worker started again (--supervise)")

    def restart_worker(self, what: str) -> None:
        self.workers_started += 1
        name = f"soak-celery-worker-{self.workers_started}"
        self.system.worker = start_worker(self.system.env, name=name)
        run.wait_celery(timeout=60)
        self.event(what)

    def kill_worker(self) -> None:
        from clinic.notifications.models import Notification, NotificationStatus

        smtp = self.system.smtp
        smtp.stall_next()
        held = smtp.stalled.wait(timeout=60)
        sending = list(
            Notification.objects.filter(status=NotificationStatus.SENDING).values_list(
                "pk", flat=True
            )
        )
        self.system.worker.stop(timeout=10, first_signal=signal.SIGKILL)
        self.event("worker killed", mid_delivery=held, sending=sending)
        # The held DATA is answered 451 to a connection nobody holds any more: never accepted.
        # (Without a delivery to hold, the next one is refused once and retried.)
        smtp.release()
        self.restart_worker("new worker ready")

    def restart_redis(self) -> None:
        redis_process = self.system.redis
        redis_process.stop(timeout=10)
        self.event("Redis stopped")
        self.stopping.wait(self.outage_s)
        redis_process.start()
        servers.wait_redis(run.redis_client(self.system.redis_url), process=redis_process)
        self.event("Redis started again, empty")


@dataclass
class System:
    """The processes under test, and the SMTP server their email goes to."""

    env: dict
    database: str
    redis_url: str
    redis: servers.Managed
    smtp: object  # tests.fakes.SmtpRecorder
    worker: servers.Managed | None = None
    server: servers.Managed | None = None

    def processes(self) -> list[servers.Managed]:
        return [p for p in (self.server, self.worker, self.redis) if p is not None]

    def cpu_by_pid(self) -> dict[int, float]:
        """CPU seconds so far of every process of the soak's: this one, the servers' trees,
        Redis, and the PostgreSQL backends of the soak database."""
        ours = {os.getpid(): sum(psutil.Process().cpu_times()[:2])}
        if self.server is not None and self.server.alive():
            snapshot = servers.cpu_seconds(self.server, self.database)
            ours |= snapshot["web"] | snapshot["db"]
        for process in (self.worker, self.redis):
            if process is not None and process.alive():
                with contextlib.suppress(psutil.Error):
                    main = psutil.Process(process.pid)
                    for p in [main, *main.children(recursive=True)]:
                        ours[p.pid] = sum(p.cpu_times()[:2])
        return ours


def other_work(cpu: list[tuple[float, float, dict]], begins: float, ends: float) -> float | None:
    """Cores the machine spent on work not the soak's between two times (averaged over the
    samples inside): on a shared machine, a phase whose neighbours took a core is slower."""
    inside = [c for c in cpu if begins <= c[0] <= ends]
    if len(inside) < 2:
        return None
    ours = 0.0
    for (_, _, before), (_, _, after) in zip(inside, inside[1:], strict=False):
        ours += sum(v - before.get(pid, 0.0) for pid, v in after.items())
    (t0, busy0, _), (t1, busy1, _) = inside[0], inside[-1]
    return round(max(0.0, (busy1 - busy0) - ours) / (t1 - t0), 2)


def start_worker(env: dict, *, name: str) -> servers.Managed:
    cpu = servers.SERVER_CPU if servers.can_pin() else None
    return servers.celery_worker(env=env, cpu=cpu, nice=10, concurrency=2, name=name).start()


# --- What the run showed ------------------------------------------------------------------------


def notification_id(message_id: str) -> int | None:
    found = MESSAGE_ID.match(message_id or "")
    return int(found.group(1)) if found else None


def ledger(rows: dict[int, str], message_ids: Iterable[str]) -> dict:
    """Each email notification (id -> status) against the messages the SMTP server accepted.

    Delivered: at least one message with its Message-ID arrived; lost: none did (cancelled rows,
    which no one was meant to get, aside); doubled: more than one did.
    """
    received = Counter()
    unexpected = 0
    for message_id in message_ids:
        pk = notification_id(message_id)
        if pk in rows:
            received[pk] += 1
        else:
            unexpected += 1
    lost = sorted(pk for pk, status in rows.items() if not received[pk] and status != "cancelled")
    doubled = {pk: n for pk, n in sorted(received.items()) if n > 1}
    return {
        "created": len(rows),
        "by_status": dict(Counter(rows.values())),
        "delivered": sum(1 for pk in rows if received[pk]),
        "lost": len(lost),
        "lost_by_status": dict(Counter(rows[pk] for pk in lost)),
        "lost_ids": lost[:100],
        "doubled": len(doubled),
        "doubled_ids": doubled,
        "unexpected_messages": unexpected,
    }


def phase_bounds(
    events: list[dict], *, warmup: float, end: float
) -> list[tuple[str, float, float]]:
    """(name, from, to) in seconds of the load's clock: the warm-up, then split at each fault."""
    marks = {e["what"]: e["at"] for e in events}
    cuts = [
        ("warm-up", 0.0),
        ("before the worker kill", warmup),
        ("after the worker kill", marks.get("worker killed")),
        ("Redis down", marks.get("Redis stopped")),
        ("after Redis is back", marks.get("Redis started again, empty")),
    ]
    cuts = [(name, at) for name, at in cuts if at is not None]
    return [
        (name, at, cuts[n + 1][1] if n + 1 < len(cuts) else end)
        for n, (name, at) in enumerate(cuts)
    ]


def _latency(samples: list[Sample]) -> dict:
    stats = load.summarize(s.latency for s in samples if s.ok)
    return {"p50_ms": stats.get("p50_ms"), "p95_ms": stats.get("p95_ms")}


def phase_stats(samples: Sequence[Sample], phases: list[tuple[str, float, float]]) -> list[dict]:
    """Requests due in each phase: how many, the errors by kind, p50/p95 of those answered."""
    out = []
    for name, begins, ends in phases:
        inside = [s for s in samples if begins <= s.due < ends]
        portal = [s for s in inside if s.tag not in DASHBOARD_TAGS]
        dashboard = [s for s in inside if s.tag in DASHBOARD_TAGS]
        out.append(
            {
                "phase": name,
                "from_s": round(begins, 1),
                "to_s": round(ends, 1),
                "requests": len(inside),
                "errors": sum(1 for s in inside if not s.ok),
                "error_kinds": dict(Counter(s.error for s in inside if not s.ok)),
                **_latency(inside),
                "portal": {"requests": len(portal), **_latency(portal)},
                "dashboard": {"requests": len(dashboard), **_latency(dashboard)},
            }
        )
    return out


def email_rows() -> dict[int, str]:
    from clinic.notifications.models import Notification, NotificationChannel

    rows = Notification.objects.filter(channel=NotificationChannel.EMAIL)
    return dict(rows.values_list("pk", "status"))


def wait_drained(smtp, *, timeout: float) -> tuple[bool, float]:
    """Until no email row is pending or sending and every sent one has arrived."""
    began = time.monotonic()
    while True:
        rows = email_rows()
        arrived = {notification_id(r.message_id) for r in smtp.received}
        open_rows = [pk for pk, status in rows.items() if status in ("pending", "sending")]
        unreceived = [pk for pk, status in rows.items() if status == "sent" and pk not in arrived]
        waited = round(time.monotonic() - began, 1)
        if not open_rows and not unreceived:
            return True, waited
        if waited > timeout:
            log(f"  not drained: {len(open_rows)} open, {len(unreceived)} sent but not received")
            return False, waited
        time.sleep(1)


def flag_check(since) -> dict:
    """Cases flagged during the soak, and whether each that pages has its email row (written in
    the flag's transaction: it must exist whatever the broker did)."""
    from django.db.models import Exists, OuterRef

    from clinic.notifications.models import Notification, NotificationChannel, NotificationKind
    from clinic.review.models import Case

    cases = Case.objects.filter(flagged_at__gte=since)
    paging = cases.filter(level__in=PAGING_LEVELS)
    email = Notification.objects.filter(
        case=OuterRef("pk"),
        kind=NotificationKind.CASE_FLAGGED,
        channel=NotificationChannel.EMAIL,
    )
    without = paging.exclude(Exists(email))
    return {
        "flagged": cases.count(),
        "paging": paging.count(),
        "paging_without_email_row": without.count(),
    }


def markdown(result: dict) -> str:
    plan, requests = result["plan"], result["requests"]
    lines = [
        f"Soak: {plan['minutes']} min at {plan['rate']} requests/s, gunicorn {plan['server']}: "
        f"{requests['total']} requests ({requests['in_the_warm_up']} in the warm-up), "
        f"{requests['errors']} errors {requests['errors_by_request'] or ''}".rstrip(),
        "",
        "| phase | seconds | requests | errors | p50 ms | p95 ms | portal p95 | dashboard p95 "
        "| other work (cores) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for p in result["phases"]:
        lines.append(
            f"| {p['phase']} | {p['from_s']}–{p['to_s']} | {p['requests']} | {p['errors']} | "
            f"{p['p50_ms']} | {p['p95_ms']} | {p['portal']['p95_ms']} | "
            f"{p['dashboard']['p95_ms']} | {p['other_work_cores']} |"
        )
    notes, flags, drain = result["notifications"], result["flags"], result["drain"]
    latency = result["created_to_email_accepted_ms"]
    lines += [
        "",
        "| cases flagged (paging) | emails created | delivered | lost | doubled | drained after "
        "the load | created to accepted p50 / p95 / max |",
        "|---|---|---|---|---|---|---|",
        f"| {flags['flagged']} ({flags['paging']}) | {notes['created']} | {notes['delivered']} "
        f"| {notes['lost']} | {notes['doubled']} | "
        f"{'yes' if drain['drained'] else 'NO'}, {drain['seconds']} s | "
        f"{latency.get('p50_ms')} / {latency.get('p95_ms')} / {latency.get('max_ms')} ms |",
        "",
    ]
    for e in result["events"]:
        detail = {k: v for k, v in e.items() if k not in ("at", "what")}
        lines.append(f"- {e['at']} s: {e['what']} {detail or ''}".rstrip())
    if flags["paging_without_email_row"]:
        lines.append(f"- paging flags without an email row: {flags['paging_without_email_row']}")
    return "\n".join(lines)


# --- Main ---------------------------------------------------------------------------------------


def start_system(args, config: dict, smtp, managed: list) -> tuple[System, seed.Seeded, str]:
    """A private Redis, a fresh seeded database, a worker and gunicorn in production settings.
    Returns the system, what was seeded, and the server's address."""
    redis_process, redis_url = servers.private_redis(name="soak-redis")
    managed.append(redis_process)
    env = servers.bench_env(
        database_url=args.database_url, redis_url=redis_url, **servers.throwaway_keys()
    )
    env.update({key: str(value) for key, value in smtp.email_settings().items()})
    media = servers.ROOT / "var" / "soak"  # the PDFs of the last run only
    shutil.rmtree(media, ignore_errors=True)
    env.update(CACHE_KEY_PREFIX="previsit-soak", MEDIA_ROOT=str(media))
    log("collectstatic (in the background) and a fresh soak database")
    static = run.start_collectstatic(env)
    managed.append(static)
    run.fresh_database(env, database_url=args.database_url)
    # Patients enough that the pool never runs dry (a visit is more than 8 requests).
    pool = int(args.rate * (WARMUP_S + args.minutes * 60)) + 500
    seeded = seed.seed(history=args.history, page_pool=pool, submit_pool=0, log=log)
    if static.popen.wait(timeout=300) != 0:
        raise RuntimeError(f"collectstatic failed:\n{static.log_tail()}")
    system = System(
        env=env,
        database=seed.database_name(args.database_url),
        redis_url=redis_url,
        redis=redis_process,
        smtp=smtp,
    )
    system.worker = start_worker(env, name="soak-celery-worker")
    managed.append(system.worker)
    run.wait_celery()
    port = servers.free_port()
    system.server = servers.gunicorn(
        worker_class=config["worker_class"],
        workers=config["workers"],
        threads=config["threads"],
        port=port,
        env=env,
        cpu=servers.SERVER_CPU if servers.can_pin() else None,
        name=f"soak-gunicorn-{config['name']}",
    ).start()
    managed.append(system.server)
    base_url = f"http://127.0.0.1:{port}"
    servers.wait_http(f"{base_url}/healthz", headers=load.PROXY_HEADERS, process=system.server)
    return system, seeded, base_url


def measure(
    point: load.PointResult, operator: Operator, sampler: CpuSampler, *, since, end: float, smtp
) -> dict:
    """Everything the report says, on the load's clock (seconds from the first due time)."""
    from clinic.notifications.models import Notification, NotificationChannel

    events = [{**e, "at": round(e["at"] - point.started, 1)} for e in operator.events]
    cpu = [(at - point.started, busy, ours) for at, busy, ours in sampler.samples]
    samples = point.samples
    failed = [s for s in samples if not s.ok]
    phases = phase_stats(samples, phase_bounds(events, warmup=WARMUP_S, end=end))
    for phase in phases:
        phase["other_work_cores"] = other_work(cpu, phase["from_s"], phase["to_s"])
    buckets = [(f"{t}-{t + 10}", t, t + 10) for t in range(0, int(end), 10)]
    timeline = phase_stats(samples, buckets)
    for bucket in timeline:
        bucket["other_work_cores"] = other_work(cpu, bucket["from_s"], bucket["to_s"])
    received = smtp.received
    first_arrival: dict[int, float] = {}
    for message in received:
        pk = notification_id(message.message_id)
        first_arrival[pk] = min(message.at, first_arrival.get(pk, message.at))
    created = Notification.objects.filter(channel=NotificationChannel.EMAIL)
    return {
        "events": events,
        "operator_errors": operator.errors,
        "beat_ticks": dict(operator.ticks),
        "requests": {
            "total": len(samples),
            "in_the_warm_up": sum(1 for s in samples if s.due < WARMUP_S),
            "errors": len(failed),
            "error_kinds": dict(Counter(s.error for s in failed)),
            "errors_by_request": dict(Counter(f"{s.tag}: {s.error}" for s in failed)),
            "not_sent": point.not_sent,
        },
        "phases": phases,
        "timeline": timeline,
        "flags": flag_check(since),
        "notifications": ledger(email_rows(), [m.message_id for m in received]),
        "email_kinds": dict(Counter(created.values_list("kind", flat=True))),
        "created_to_email_accepted_ms": load.summarize(
            first_arrival[pk] - at.timestamp()
            for pk, at in created.values_list("pk", "created_at")
            if pk in first_arrival
        ),
        "smtp_data_commands": smtp.data_commands,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--rate", type=float, default=20, help="requests a second, in all")
    parser.add_argument(
        "--outage", type=float, help="seconds Redis stays down (25, or a sixth of a short run)"
    )
    parser.add_argument("--history", type=int, default=20_000, help="submitted responses seeded")
    parser.add_argument(
        "--server", choices=[c["name"] for c in run.SERVER_CONFIGS], default="gthread"
    )
    parser.add_argument(
        "--drain-timeout",
        type=float,
        default=480,
        help="seconds the outbox may take to drain after the load (the sweep hands a killed "
        "delivery out again 5 minutes after its claim)",
    )
    parser.add_argument("--database-url", default=f"postgres://postgres@127.0.0.1:5432/{SOAK_DB}")
    parser.add_argument(
        "--supervise",
        action="store_true",
        help="start a worker that exits by itself again at once, as a service manager would",
    )
    parser.add_argument("--keep-db", action="store_true", help="keep the soak database")
    parser.add_argument("--json", type=Path, default=RESULT)
    args = parser.parse_args(argv)
    if not seed.database_name(args.database_url).startswith(SOAK_DB):
        parser.error(f"the soak database must be named {SOAK_DB}: it is dropped each run")
    run.take_over()

    from tests.fakes import SmtpRecorder

    duration = args.minutes * 60
    if args.outage is None:
        args.outage = min(25.0, duration / 6)
    config = next(c for c in run.SERVER_CONFIGS if c["name"] == args.server)
    result: dict = {
        "plan": {
            "minutes": args.minutes,
            "rate": args.rate,
            "warmup_s": WARMUP_S,
            "server": f"{config['name']} ({config['workers']}×{config['threads']})",
            "dashboard_share": 1 / DASHBOARD_EVERY,
            "paging_visits_share": 1 / PAGING_EVERY,
            "outage_s": args.outage,
            "history": args.history,
            "supervised_worker": args.supervise,
        }
    }
    managed: list[servers.Managed] = []
    system: System | None = None
    operator: Operator | None = None
    sampler: CpuSampler | None = None
    smtp = SmtpRecorder().start()
    code = 2
    try:
        system, seeded, base_url = start_system(args, config, smtp, managed)
        result["seed"] = seeded.counts
        result["machine"] = run.machine_info(system.redis_url)

        from django.utils import timezone

        from intake.questionnaires.services import definition_for, questionnaire_default

        portal = Portal(
            visit_order(seeded.page_pool, seeded.vignette_levels),
            run.vignette_posts(definition_for(questionnaire_default())),
        )
        clinicians, sign_ins = run.clinician_users(seeded)
        if asyncio.run(run.setup_users(base_url, sign_ins)):
            raise RuntimeError("the clinicians could not sign in")
        scenarios = run.Scenarios(seeded, [], clinicians)

        def next_call(i: int) -> Call | None:
            if i % DASHBOARD_EVERY == DASHBOARD_EVERY - 1:
                return scenarios.clinician(i // DASHBOARD_EVERY)
            return portal.next_call()

        sampler = CpuSampler(system)
        sampler.start()
        began, since = time.monotonic(), timezone.now()
        operator = Operator(
            system=system,
            kill_at=began + WARMUP_S + duration / 3,
            outage_at=began + WARMUP_S + 2 * duration / 3,
            outage_s=args.outage,
            supervise=args.supervise,
        )
        operator.start()
        log(f"soak: {args.minutes} min at {args.rate}/s after {WARMUP_S} s of warm-up")
        point = asyncio.run(
            load.open_point(
                base_url,
                next_call,
                rate=args.rate,
                duration=duration,
                warmup=WARMUP_S,
                on_done=portal.on_done,
            )
        )
        log("load done; waiting for the outbox to drain")
        drained, waited = wait_drained(smtp, timeout=args.drain_timeout)
        operator.stop()
        sampler.stop()
        end = WARMUP_S + duration
        result.update(measure(point, operator, sampler, since=since, end=end, smtp=smtp))
        result["visits"] = dict(portal.counts)
        result["drain"] = {"drained": drained, "seconds": waited}
        notes = result["notifications"]
        failed = notes["lost"] or notes["doubled"] or result["flags"]["paging_without_email_row"]
        code = 1 if failed else 0
    except (Exception, KeyboardInterrupt) as exc:
        result["error"] = f"{type(exc).__name__}: {exc}"
        log(f"the soak stopped early: {result['error']}")
    finally:
        for thread in (operator, sampler):
            if thread is not None:
                thread.stop()
        if system is not None:
            managed += system.processes()  # the worker started after the kill, too
        for process in reversed(managed):
            process.stop()
        smtp.stop()
        if not args.keep_db:
            try:
                from django.db import connections

                connections.close_all()
                seed.drop_database(database_url=args.database_url)
            except Exception as exc:  # reported, never masks the run's own error
                log(f"could not drop the soak database: {exc}")
    result["passed"] = code == 0
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2, default=str) + "\n")
    if "phases" in result:
        print(markdown(result))
    log(f"wrote {args.json}: {'passed' if code == 0 else 'FAILED'}")
    return code


if __name__ == "__main__":
    sys.exit(main())
