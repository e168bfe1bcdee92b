"""`make bench`: seed, serve with production settings, load, measure, report.

    .venv/bin/python bench/run.py [--publish] [--quick]

Writes bench/results.json, bench/out/results.md and bench/out/*.png; --publish also copies the
table into README.md (between the bench markers) and the latency plot to docs/img/.
--quick is a smoke run (small data, 5 s points): its numbers are not the benchmark's.

What runs where (2 cores): gunicorn and the Celery worker on core 0 (the worker at nice 10, so
PDFs queued by the submit load take what the web server leaves), this script and its load
generator on core 1. PostgreSQL (the machine's own) and Redis (a redis-server of the run's
own) are not pinned.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import platform
import random
import secrets
import shutil
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import load, report, seed, servers  # noqa: E402
from bench.load import Call, VirtualUser  # noqa: E402

# The production cookie names (clinic/settings/production.py).
CSRF_COOKIE = "__Host-csrftoken"
SESSION_COOKIE = "__Host-sessionid"
RESULTS = ROOT / "bench" / "results.json"
SERVER_CONFIGS = [
    # 2n+1 sync workers for the one core they get; gthread: fewer processes, threads for I/O.
    {"name": "sync", "worker_class": "sync", "workers": 3, "threads": 1},
    {"name": "gthread", "worker_class": "gthread", "workers": 2, "threads": 4},
]


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# --- The machine ------------------------------------------------------------------------------


def machine_info(redis_url: str) -> dict:
    import django
    import psutil
    import redis
    from django.db import connection

    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg = cursor.fetchone()[0]
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "django": django.get_version(),
        "postgresql": pg,
        "redis": redis.Redis.from_url(redis_url).info("server")["redis_version"],
        "pinning": (
            "gunicorn and Celery on core 0, load generator on core 1; PostgreSQL and Redis unpinned"
            if servers.can_pin()
            else "not pinned (fewer than 2 cores available)"
        ),
    }


# --- Micro-benchmarks -------------------------------------------------------------------------


def handout_build_bench(rounds: int) -> dict:
    """advice.evaluate (triage rules, tailoring, Markdown to HTML) over the 20 vignettes."""
    import advice
    from advice.services import approved_library
    from intake.responses.evaluation import render_context
    from tests.vignette_answers import VIGNETTES

    library, _ = approved_library()
    context = render_context()
    times = []
    for n in range(rounds + 1):
        for vignette in VIGNETTES.values():
            began = time.perf_counter()
            advice.evaluate(
                vignette["answers"], age=vignette["age"], library=library, context=context
            )
            if n:  # the first round warms caches up
                times.append(time.perf_counter() - began)
    return load.summarize(times)


def pdf_inprocess_bench(response_ids: list[int]) -> dict:
    """The function the PDF task calls (intake.responses.handouts.handout_pdf_render), here."""
    from intake.responses.handouts import handout_pdf_render

    times = []
    for n, response_id in enumerate(response_ids):
        began = time.perf_counter()
        handout_pdf_render(response_id=response_id)
        if n:  # the first one loads fonts
            times.append(time.perf_counter() - began)
    return load.summarize(times)


# --- Celery -----------------------------------------------------------------------------------


def redis_client(redis_url: str):
    import redis

    return redis.Redis.from_url(redis_url)


def queue_depth(r) -> int:
    return sum(r.llen(q) for q in ("default", "pdf", "notifications")) + r.hlen("unacked")


def purge_queue(r, name: str) -> int:
    removed = r.llen(name)
    r.delete(name)
    return removed


def wait_celery(timeout: float = 40) -> None:
    from clinic.celery import PUBLISH_ERRORS, app

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if app.control.ping(timeout=1.0):
                return
        except PUBLISH_ERRORS:  # a connection from before a Redis restart; the next one is new
            time.sleep(0.2)
    raise RuntimeError("the Celery worker did not answer a ping")


def wait_drained(r, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if queue_depth(r) == 0:
            return True
        time.sleep(0.05)
    return False


def celery_phase(*, worker, r, pdf_ids: list[int], rounds: int, per_round: int) -> dict:
    """PDF latency through the worker, and its RSS every `per_round` tasks.

    Each round enqueues a few PDF renders one at a time (enqueue to `pdf_ready_at`), then the
    rest of the round's tasks in bulk: the heartbeat and the PDF task on handouts whose PDF
    exists (its idempotent path, one query). 10 rounds of 1,000 = 10,000 tasks.
    """
    from clinic.tasks import heartbeat
    from intake.responses.models import IssuedHandout
    from intake.responses.tasks import handout_render_pdf

    pdf_per_round = max(1, len(pdf_ids) // rounds)
    latencies, samples = [], [{"tasks": 0, **servers.rss_tree(worker)}]
    done_ids: list[int] = []
    sent = not_ready = 0
    ids = iter(pdf_ids)
    for _ in range(rounds):
        for _ in range(pdf_per_round):
            response_id = next(ids, None)
            if response_id is None:
                break
            enqueued = time.time()
            handout_render_pdf.delay(response_id)
            sent += 1
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline:
                ready = (
                    IssuedHandout.objects.filter(response_id=response_id)
                    .values_list("pdf_ready_at", flat=True)
                    .first()
                )
                if ready is not None:
                    latencies.append(ready.timestamp() - enqueued)
                    done_ids.append(response_id)
                    break
                time.sleep(0.005)
            else:
                not_ready += 1
        light = per_round - pdf_per_round
        for n in range(light):
            if n % 2 or not done_ids:
                heartbeat.delay()
            else:
                handout_render_pdf.delay(done_ids[n % len(done_ids)])
        sent += light
        if not wait_drained(r, timeout=120):
            raise RuntimeError("the Celery worker did not drain its queues in 2 minutes")
        time.sleep(0.2)  # the last task's ack
        samples.append({"tasks": sent, **servers.rss_tree(worker)})
    first, last = samples[1], samples[-1]
    return {
        "pdf_latency": load.summarize(latencies),
        "pdf_not_ready_in_15_s": not_ready,
        "tasks": sent,
        "rss_samples": samples,
        "max_process_mb": max(s["max_child_mb"] or 0 for s in samples),
        "growth_mb_after_first_round": round(
            (last["max_child_mb"] or 0) - (first["max_child_mb"] or 0), 1
        ),
    }


# --- Virtual users ----------------------------------------------------------------------------


async def setup_users(base_url: str, calls: list[Call], *, parallel: int = 8) -> int:
    """Run setup requests (logins, link and birth-date checks); returns how many failed."""
    origin = base_url.replace("http://", "https://", 1)
    failures = 0
    gate = asyncio.Semaphore(parallel)
    async with load.make_client(base_url, connections=parallel, timeout=30) as client:

        async def one(call_chain: list[Call]) -> None:
            nonlocal failures
            async with gate:
                for call in call_chain:
                    ok, status, error = await load.send(client, call, origin)
                    if not ok:
                        failures += 1
                        log(f"  setup {call.tag} {call.path} failed: {error}")
                        return

        chains: dict[int, list[Call]] = {}
        for call in calls:
            chains.setdefault(id(call.user), []).append(call)
        await asyncio.gather(*(one(chain) for chain in chains.values()))
    return failures


def clinician_users(seeded) -> tuple[list[VirtualUser], list[Call]]:
    users, calls = [], []
    for username in seeded.clinicians:
        user = VirtualUser(username)
        user.mint_csrf(CSRF_COOKIE)
        users.append(user)
        calls.append(
            Call(
                "login",
                "POST",
                "/accounts/login/",
                user,
                data={"username": username, "password": seeded.password},
                expect_status=302,
                expect_location="/dashboard/",
                csrf_cookie=CSRF_COOKIE,
            )
        )
    return users, calls


def vignette_posts(definition) -> dict[str, list[tuple[str, dict]]]:
    """Each vignette's pages as the portal's forms post them: (page id, form data), in order."""
    from tests.portal_support import page_posts
    from tests.vignette_answers import VIGNETTES

    return {key: page_posts(definition, v["answers"]) for key, v in VIGNETTES.items()}


def open_link_calls(user: VirtualUser, patient) -> list[Call]:
    """A patient opens their link and confirms their birth date."""
    return [
        Call(
            "link",
            "GET",
            f"/p/{patient.token}/",
            user,
            expect_status=302,
            expect_location="/p/verify/",
        ),
        Call(
            "verify",
            "POST",
            "/p/verify/",
            user,
            data={"date_of_birth": patient.date_of_birth},
            expect_status=302,
            expect_location="/p/start/",
            csrf_cookie=CSRF_COOKIE,
        ),
    ]


def page_post_call(user: VirtualUser, page_id: str, data: dict) -> Call:
    """A questionnaire page saved with "Next"."""
    return Call(
        "page_post",
        "POST",
        f"/p/q/{page_id}/",
        user,
        data={**data, "action": "next"},
        expect_status=302,
        expect_location=("/p/q/", "/p/review/", "/p/emergency/"),
        csrf_cookie=CSRF_COOKIE,
    )


def submit_call(user: VirtualUser) -> Call:
    """The final submit from the review page."""
    return Call(
        "submit",
        "POST",
        "/p/review/",
        user,
        expect_status=302,
        expect_location="/p/done/",
        csrf_cookie=CSRF_COOKIE,
    )


def patient_users(seeded, definition) -> tuple[list[VirtualUser], list[Call]]:
    """The page pool: each patient opens their link and confirms their birth date over HTTP."""
    posts = vignette_posts(definition)
    users, calls = [], []
    for n, patient in enumerate(seeded.page_pool):
        user = VirtualUser(f"patient-{patient.appointment_id}")
        user.mint_csrf(CSRF_COOKIE)
        user.state = {"posts": posts[patient.vignette], "get": n, "post": n}
        users.append(user)
        calls += open_link_calls(user, patient)
    return users, calls


class Scenarios:
    """What each point's virtual users ask for, request by request."""

    def __init__(self, seeded, patients: list[VirtualUser], clinicians: list[VirtualUser]):
        self.seeded = seeded
        self.patients = patients
        self.clinicians = clinicians
        self.rng = random.Random(8)
        self.submit_pool = iter(seeded.submit_pool)
        self.max_patient_id = seeded.counts["patients"]

    def floor(self, i: int) -> Call:
        return Call("floor", "POST", f"/bench/floor?id={self.rng.randint(1, self.max_patient_id)}")

    def page_get(self, i: int) -> Call:
        user = self.patients[i % len(self.patients)]
        posts = user.state["posts"]
        page_id = posts[user.state["get"] % len(posts)][0]
        user.state["get"] += 1
        return Call("page_get", "GET", f"/p/q/{page_id}/", user)

    def page_post(self, i: int) -> Call:
        user = self.patients[i % len(self.patients)]
        posts = user.state["posts"]
        page_id, data = posts[user.state["post"] % len(posts)]
        user.state["post"] += 1
        return page_post_call(user, page_id, data)

    def submit(self, i: int) -> Call | None:
        patient = next(self.submit_pool, None)
        if patient is None:
            return None
        user = VirtualUser(
            f"submit-{patient.appointment_id}", {SESSION_COOKIE: patient.session_key}
        )
        user.mint_csrf(CSRF_COOKIE)
        return submit_call(user)

    def clinician(self, i: int) -> Call:
        user = self.clinicians[i % len(self.clinicians)]
        if i % 2 == 0:
            return Call("queue", "GET", "/dashboard/", user)
        case_id = self.rng.choice(self.seeded.case_ids)
        return Call("case", "GET", f"/dashboard/cases/{case_id}/", user)


# --- One server -------------------------------------------------------------------------------


def settle(base_url: str, *, limit: float = 60) -> float:
    """Wait until the server has worked off what an overloaded point left queued (requests the
    generator gave up on are still served), so the next point starts clean. Returns seconds."""
    import httpx

    began = time.monotonic()
    quick = 0
    while time.monotonic() - began < limit and quick < 3:
        sent = time.monotonic()
        try:
            httpx.get(f"{base_url}/healthz", headers=load.PROXY_HEADERS, timeout=limit)
            quick = quick + 1 if time.monotonic() - sent < 0.1 else 0
        except httpx.HTTPError:
            quick = 0
        time.sleep(0.1)
    return round(time.monotonic() - began, 1)


def run_server(config: dict, *, env, scenarios, r, plan, setup_calls, worker) -> dict:
    database = env["DATABASE_URL"].rsplit("/", 1)[-1]
    port = servers.free_port()
    base_url = f"http://127.0.0.1:{port}"
    cpu = servers.SERVER_CPU if servers.can_pin() else None
    server = servers.gunicorn(
        worker_class=config["worker_class"],
        workers=config["workers"],
        threads=config["threads"],
        port=port,
        env=env,
        cpu=cpu,
    ).start()
    out: dict = {"config": config, "points": {}, "capacity": {}}
    try:
        servers.wait_http(f"{base_url}/healthz", headers=load.PROXY_HEADERS, process=server)
        failures = asyncio.run(setup_users(base_url, setup_calls))
        if failures:
            raise RuntimeError(f"{failures} virtual users could not sign in or open their link")
        # Touch every page in every worker before the first point (templates, caches).
        mixed = [scenarios.page_get, scenarios.clinician, scenarios.floor]
        asyncio.run(
            load.open_point(
                base_url, lambda i: mixed[i % 3](i), rate=30, duration=plan["warmup"] * 2, warmup=0
            )
        )

        points = [
            ("floor", scenarios.floor, 50),
            ("page_get", scenarios.page_get, 50),
            ("page_post", scenarios.page_post, 50),
            ("submit", scenarios.submit, 20),
            ("clinician", scenarios.clinician, 20),
        ]
        for name, next_call, rate in points:
            before = queue_depth(r)
            cpu_before = servers.cpu_seconds(server, database)
            log(f"  {config['name']}: {name} at {rate}/s for {plan['duration']} s")
            with servers.Background(server=server, worker=worker, database=database) as noise:
                result = asyncio.run(
                    load.open_point(
                        base_url,
                        next_call,
                        rate=rate,
                        duration=plan["duration"],
                        warmup=plan["warmup"],
                    )
                )
            served = sum(1 for s in result.samples if s.status is not None)
            cpu = servers.cpu_ms_per_request(
                cpu_before, servers.cpu_seconds(server, database), served
            )
            tags = sorted({s.tag for s in result.samples})
            for tag in tags:
                stats = load.point_stats(result, rate=rate / len(tags), tag=tag)
                stats["cpu_ms_per_request"] = cpu  # the point's mix when it has several tags
                stats["background_cores"] = noise.cores
                out["points"][tag] = stats
                lat = stats["latency"]
                log(
                    f"    {tag}: p50 {lat.get('p50_ms')} p95 {lat.get('p95_ms')} p99 "
                    f"{lat.get('p99_ms')} ms, {stats['throughput_rps']}/s, "
                    f"{stats['errors']} errors, send lag p99 {stats['send_lag_p99_ms']} ms, "
                    f"CPU/request {cpu}, other work on the machine {noise.cores} cores"
                )
            if name == "submit":
                out["points"]["submit"]["pdf_tasks_purged_after"] = purge_queue(r, "pdf")
                out["points"]["submit"]["queued_tasks_before"] = before
            waited = settle(base_url)
            if waited > 1:
                log(f"    the server worked off its backlog for {waited} s")
        for name, next_call in (("floor", scenarios.floor), ("submit", scenarios.submit)):
            log(f"  {config['name']}: {name} capacity, {plan['steps']} users")
            steps = asyncio.run(
                load.closed_steps(
                    base_url,
                    next_call,
                    concurrency=plan["steps"],
                    step_seconds=plan["step_seconds"],
                )
            )
            if name == "submit":
                purge_queue(r, "pdf")
            settle(base_url)
            best = max(steps, key=lambda s: s["throughput_rps"])
            out["capacity"][name] = {"steps": steps, "max_rps": best["throughput_rps"]}
            log(f"    {name}: {[(s['concurrency'], s['throughput_rps']) for s in steps]}")
        out["memory"] = servers.rss_tree(server)
        log(f"  {config['name']}: worker RSS {out['memory']['children_mb']} MB")
    finally:
        server.stop()
    return out


# --- Static files and the database -----------------------------------------------------------


def start_collectstatic(env: dict) -> servers.Managed:
    """collectstatic in the background, on the server's core, while the database is made."""
    return servers.Managed(
        "collectstatic",
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        env=env,
        cpu=servers.SERVER_CPU if servers.can_pin() else None,
    ).start()


def fresh_database(env: dict, *, database_url: str) -> None:
    """Drop, recreate and migrate the database, then set Django up on it in this process, with
    the environment the servers get (production settings)."""
    seed.recreate_database(database_url=database_url)
    migrate = [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"]
    subprocess.run(migrate, cwd=ROOT, env=env, check=True)
    os.environ.update(env)
    import django

    django.setup()
    import logging

    # Everything this process will import, imported now: the tree may change under a long
    # run (others at work in the same checkout), and a half-new module set would break.
    from clinic.celery import TASK_MODULES, app

    app.autodiscover_tasks(TASK_MODULES, force=True)

    logging.getLogger("weasyprint").setLevel(logging.WARNING)
    logging.getLogger("fontTools").setLevel(logging.WARNING)


# --- Main -------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Previsit benchmarks (make bench)")
    parser.add_argument("--publish", action="store_true", help="copy table and plot to README")
    parser.add_argument("--quick", action="store_true", help="a smoke run: small and short")
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "BENCH_DATABASE_URL", f"postgres://postgres@127.0.0.1:5432/{seed.BENCH_DB}"
        ),
    )
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("BENCH_REDIS_URL"),
        help="a Redis database to use and flush (default: a private redis-server for the run)",
    )
    parser.add_argument("--keep-db", action="store_true", help="keep the bench database")
    parser.add_argument(
        "--seed-only", action="store_true", help="seed and keep the bench database, then stop"
    )
    args = parser.parse_args(argv)
    began = time.monotonic()
    # Ctrl-C or a TERM stops the run wherever it is, and `finally` below stops every process.
    # Our own SIGINT handler also keeps asyncio.run from turning Ctrl-C into a cancellation
    # that the point would absorb.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _interrupted)
    if args.quick:
        plan = {
            "history": 5_000,
            "page_pool": 100,
            "submit_pool": 2_000,
            "duration": 5,
            "warmup": 1,
            "steps": [1, 4],
            "step_seconds": 3,
            "celery_rounds": 3,
            "celery_per_round": 200,
            "pdf_tasks": 6,
        }
    else:
        plan = {
            "history": 100_000,
            "page_pool": 300,
            "submit_pool": 8_000,
            "duration": 30,
            "warmup": 3,
            "steps": [1, 4, 16],
            "step_seconds": 8,
            "celery_rounds": 10,
            "celery_per_round": 1_000,
            "pdf_tasks": 50,
        }
    if not seed.database_name(args.database_url).startswith(seed.BENCH_DB):
        parser.error(f"the bench database must be named {seed.BENCH_DB}: it is dropped each run")

    if servers.can_pin():
        os.sched_setaffinity(0, {servers.LOAD_CPU})
    servers.OUT.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(servers.OUT / "logs", ignore_errors=True)
    shutil.rmtree(servers.VAR / "media", ignore_errors=True)

    managed: list[servers.Managed] = []
    results: dict = {"plan": plan}
    failed: Exception | None = None
    try:
        # A Redis of the run's own: on a shared machine nobody else's worker can take (or
        # flush) the bench's queues.
        redis_url = args.redis_url
        if not redis_url:
            port = servers.free_port()
            managed.append(servers.redis_server(port=port).start())
            redis_url = f"redis://127.0.0.1:{port}/0"
        r = redis_client(redis_url)
        servers.wait_redis(r, process=managed[-1] if managed else None)
        r.flushdb()
        env = servers.bench_env(
            database_url=args.database_url,
            redis_url=redis_url,
            # New keys each run, unless given (to profile a --seed-only database later).
            secret_key=os.environ.get("BENCH_SECRET_KEY") or secrets.token_urlsafe(50),
            field_key=os.environ.get("BENCH_FIELD_ENCRYPTION_KEY")
            or base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),  # a Fernet key
        )
        log("collectstatic (in the background) and a fresh bench database")
        static = start_collectstatic(env)
        managed.append(static)
        fresh_database(env, database_url=args.database_url)
        log(f"seeding {plan['history']:,} patients, appointments and submitted responses")
        started = time.monotonic()
        seeded = seed.seed(
            history=plan["history"],
            page_pool=plan["page_pool"],
            submit_pool=plan["submit_pool"],
            log=log,
        )
        results["seed"] = {
            "counts": seeded.counts,
            "seconds": seeded.seconds,
            "total_s": round(time.monotonic() - started, 1),
        }
        if args.seed_only:
            args.keep_db = True
            log(
                f"seeded {args.database_url}; token of the first page-pool link: "
                f"{seeded.page_pool[0].token} (born {seeded.page_pool[0].date_of_birth})"
            )
            return 0
        results["machine"] = machine_info(redis_url)
        log(f"machine: {results['machine']}")

        log("micro-benchmarks: handout build and PDF, in this process")
        handout_ids = seeded.handout_response_ids
        results["micro"] = {
            "handout_build": handout_build_bench(rounds=10 if args.quick else 30),
            "pdf_render": pdf_inprocess_bench(handout_ids[: 6 if args.quick else 16]),
        }
        log(f"  {results['micro']}")
        if static.popen.wait(timeout=300) != 0:
            raise RuntimeError(f"collectstatic failed:\n{static.log_tail()}")

        cpu = servers.SERVER_CPU if servers.can_pin() else None
        worker = servers.celery_worker(env=env, cpu=cpu, nice=10, concurrency=2)
        managed.append(worker.start())
        wait_celery()

        from intake.questionnaires.services import definition_for, questionnaire_default

        definition = definition_for(questionnaire_default())
        patients, patient_calls = patient_users(seeded, definition)
        scenarios = Scenarios(seeded, patients, [])
        results["servers"] = {}
        for n, config in enumerate(SERVER_CONFIGS):
            log(f"gunicorn {config}")
            # Each server signs its clinicians in afresh; patients confirm their birth date
            # once, on the first (their sessions live in the database).
            clinicians, clinician_calls = clinician_users(seeded)
            scenarios.clinicians = clinicians
            results["servers"][config["name"]] = run_server(
                config,
                env=env,
                scenarios=scenarios,
                r=r,
                plan=plan,
                setup_calls=clinician_calls + (patient_calls if n == 0 else []),
                worker=worker,
            )
            wait_drained(r, timeout=30)

        log(f"Celery: {plan['celery_rounds'] * plan['celery_per_round']:,} tasks, RSS per round")
        pdf_ids = handout_ids[16 : 16 + plan["pdf_tasks"]]
        results["celery"] = celery_phase(
            worker=worker,
            r=r,
            pdf_ids=pdf_ids,
            rounds=plan["celery_rounds"],
            per_round=plan["celery_per_round"],
        )
        log(
            f"  PDF via Celery {results['celery']['pdf_latency']}, "
            f"RSS {[s['max_child_mb'] for s in results['celery']['rss_samples']]}"
        )

        results["notifications"] = notifications_bench(env)
    except Exception as exc:
        # Whatever was measured is still reported, marked as an incomplete run.
        failed = exc
        results["error"] = f"{type(exc).__name__}: {exc}"
        log(f"the run stopped early: {results['error']}")
    finally:
        for process in reversed(managed):
            process.stop()
        if not args.keep_db:
            try:
                seed.drop_database(database_url=args.database_url)
            except Exception as exc:  # reported, never masks the run's own error
                log(f"could not drop the bench database: {exc}")
    results["wall_time_s"] = round(time.monotonic() - began, 1)
    report.write_all(results, results_path=RESULTS, out=servers.OUT)
    log(f"done in {results['wall_time_s']:.0f} s: {RESULTS}, {servers.OUT / 'results.md'}")
    if failed is not None:
        raise SystemExit(f"incomplete run: {results['error']}") from failed
    if args.publish:
        report.publish(results, out=servers.OUT, root=ROOT)
        log("published the table to README.md and the plot to docs/img/")
    return 0


def _interrupted(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def take_over() -> None:
    """For a harness's main(): Ctrl-C or a TERM stops it wherever it is (its `finally` stops
    every process), and it moves to the load generator's core."""
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _interrupted)
    if servers.can_pin():
        os.sched_setaffinity(0, {servers.LOAD_CPU})


def notifications_bench(env: dict) -> dict:
    """bench/notifications.py (flag to delivered), when it exists; its JSON goes in as is.

    It makes its own database, Redis, SMTP recorder and Celery worker; it runs in a process
    group of its own, stopped (SIGINT first, so its own cleanup runs) if it overruns.
    """
    script = ROOT / "bench" / "notifications.py"
    if not script.exists():
        return {"skipped": "bench/notifications.py is not in this checkout"}
    out = servers.OUT / "notifications.json"
    out.unlink(missing_ok=True)
    log("notifications: bench/notifications.py")
    job = servers.Managed(
        "notifications",
        # Half its default sizes, to keep `make bench` within 15 minutes; 500 flags still give
        # a p95 from 25 samples above it.
        [sys.executable, str(script), "--flags", "500", "--burst", "500", "--json", str(out)],
        env=env,
        cpu=set(servers.START_CPUS) or None,  # not the load generator's core alone
    ).start()
    try:
        job.popen.wait(timeout=240)
    except subprocess.TimeoutExpired:
        return {"skipped": "bench/notifications.py ran longer than 4 minutes"}
    finally:
        code = job.popen.poll()
        job.stop(timeout=20, first_signal=signal.SIGINT)
    if code != 0 or not out.exists():
        return {
            "skipped": f"bench/notifications.py failed (exit {code}); see bench/out/logs",
            "log": job.log_tail(15),
        }
    return json.loads(out.read_text())


if __name__ == "__main__":
    sys.exit(main())
