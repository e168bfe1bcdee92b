"""Link probing: do a real link and a made-up one answer wrong birth dates alike, in what the
page says and in how long it takes?

    .venv/bin/python -m bench.probe [--pairs 300] [--sequences 20] [--keep-db]

Against gunicorn with production settings (bench/servers.py: one sync worker on core 0, this
script on core 1), a private redis-server, and a small seeded database of its own
(previsit_probe, dropped at the end unless --keep-db). One clinic admin exists, so a link that
locks itself tells someone, as in use. Three parts:

1. Time. --pairs pairs of POST /p/verify/ with a wrong date of birth, one for a real link and
   one for a random token of the same shape, interleaved (ABBA order, so neither always goes
   first). Each on a link or token not tried before, opened just before (GET /p/<token>/, not
   timed): no count or lock of an earlier try is in play. Reported for each: median, p95,
   mean; the ratio and difference of the medians; the median of the pairs' differences (the
   two of a pair are a few milliseconds apart, so drift on a shared machine cancels); and the
   difference of medians in each fifth of the run, to see whether it holds.
2. Answers. --sequences real links and as many random tokens, six wrong dates each,
   interleaved step by step: at each step the status, the message shown, whether the two pages
   are the same (the CSRF token and CSP nonce aside), and the time.
3. Where the time goes. `link_verify` (the service the view calls) in this process, six wrong
   dates for a real link and an unknown token in turn: at each step its time and the SQL each
   ran.

Writes bench/out/probe.json and prints the tables.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import re
import secrets
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

from bench import load, run, seed, servers
from bench.load import Call, VirtualUser

PROBE_DB = "previsit_probe"
RESULT = servers.OUT / "probe.json"
STEPS = 6  # one more than PREVISIT_MAX_DOB_FAILURES: the answer after the lock, too
WRONG_DATE = "1950-06-15"
WARMUP_PAIRS = 30
BLOCKS = 5
# What changes from one answer to the next whatever was asked: the CSRF token, the CSP nonce.
VOLATILE = re.compile(rb'(name="csrfmiddlewaretoken" value=")[^"]*|(nonce=")[^"]*')
MESSAGES = {
    "Too many tries": "too many tries",
    "confirm your details": "couldn't confirm",
}
log = run.log


def random_token() -> str:
    """A token of the shape link_issue makes (192 bits, URL-safe), for no link."""
    return secrets.token_urlsafe(24)


def message_of(body: bytes) -> str:
    for text, name in MESSAGES.items():
        if text.encode() in body:
            return name
    return "none"


def page_digest(body: bytes) -> str:
    return hashlib.sha256(VOLATILE.sub(rb"\1\2", body)).hexdigest()[:16]


def summary(times_ms: list[float]) -> dict:
    ordered = sorted(times_ms)
    return {
        "n": len(ordered),
        "median_ms": round(statistics.median(ordered), 2),
        "p95_ms": round(load.percentile(ordered, 95), 2),
        "mean_ms": round(statistics.fmean(ordered), 2),
    }


def compare(pairs: list[tuple[float, float]], blocks: int = BLOCKS) -> dict:
    """Real against random, from (real ms, random ms) pairs in the order they were measured."""
    real, fake = [p[0] for p in pairs], [p[1] for p in pairs]
    size = max(1, len(pairs) // blocks)
    by_block = [
        round(statistics.median(p[0] for p in chunk) - statistics.median(p[1] for p in chunk), 2)
        for chunk in (pairs[n : n + size] for n in range(0, size * blocks, size))
        if chunk
    ]
    real_s, fake_s = summary(real), summary(fake)
    return {
        "real": real_s,
        "random": fake_s,
        "median_ratio": round(real_s["median_ms"] / fake_s["median_ms"], 3),
        "median_difference_ms": round(real_s["median_ms"] - fake_s["median_ms"], 2),
        "median_of_paired_differences_ms": round(statistics.median(r - f for r, f in pairs), 2),
        "median_difference_by_block_ms": by_block,
    }


class Prober:
    """One browser per link: opens it, then sends wrong dates of birth."""

    def __init__(self, client, origin: str):
        self.client, self.origin = client, origin

    async def open(self, token: str) -> VirtualUser:
        user = VirtualUser(f"probe-{token[:6]}")
        user.mint_csrf(run.CSRF_COOKIE)
        answer = await load.request(self.client, Call("link", "GET", f"/p/{token}/", user), "")
        if answer.status_code != 302:
            raise RuntimeError(f"opening a link answered {answer.status_code}")
        return user

    async def wrong_date(self, user: VirtualUser, date: str) -> tuple[float, int, bytes]:
        """(milliseconds, status, page) of one wrong date of birth."""
        call = Call(
            "verify",
            "POST",
            "/p/verify/",
            user,
            data={"date_of_birth": date},
            csrf_cookie=run.CSRF_COOKIE,
        )
        began = time.perf_counter()
        answer = await load.request(self.client, call, self.origin)
        return (time.perf_counter() - began) * 1000, answer.status_code, answer.content


async def probe_http(base_url: str, links: list, *, pairs: int, sequences: int) -> dict:
    origin = base_url.replace("http://", "https://", 1)
    real = iter(links)

    def wrong_for(patient) -> str:
        return WRONG_DATE if patient.date_of_birth != WRONG_DATE else "1950-06-16"

    async with load.make_client(base_url, connections=1, timeout=30) as client:
        prober = Prober(client, origin)

        async def one_try(kind: str) -> float:
            if kind == "real":
                patient = next(real)
                token, date = patient.token, wrong_for(patient)
            else:
                token, date = random_token(), WRONG_DATE
            user = await prober.open(token)
            ms, status, body = await prober.wrong_date(user, date)
            if status != 400:
                raise RuntimeError(f"a wrong date for a {kind} link answered {status}")
            return ms

        timed = []
        for n in range(WARMUP_PAIRS + pairs):
            order = ("real", "random") if n % 4 in (0, 3) else ("random", "real")
            got = {kind: await one_try(kind) for kind in order}
            if n >= WARMUP_PAIRS:
                timed.append((got["real"], got["random"]))

        steps = [{"real": [], "random": []} for _ in range(STEPS)]
        for n in range(sequences):
            patient = next(real)
            users = {"real": await prober.open(patient.token), "random": None}
            users["random"] = await prober.open(random_token())
            dates = {"real": wrong_for(patient), "random": WRONG_DATE}
            for step in range(STEPS):
                order = ("real", "random") if (n + step) % 2 == 0 else ("random", "real")
                for kind in order:
                    ms, status, body = await prober.wrong_date(users[kind], dates[kind])
                    steps[step][kind].append((ms, status, message_of(body), page_digest(body)))
    return {"timing": compare(timed), "sequence": sequence_table(steps)}


def sequence_table(steps: list[dict]) -> list[dict]:
    """Per step: what real links and random tokens answered, and whether the pages matched."""
    rows = []
    for number, step in enumerate(steps, start=1):
        row = {"step": number}
        for kind in ("real", "random"):
            answers = step[kind]
            row[kind] = {
                "statuses": dict(Counter(a[1] for a in answers)),
                "messages": dict(Counter(a[2] for a in answers)),
                "median_ms": round(statistics.median(a[0] for a in answers), 2),
            }
        real_pages = Counter(a[3] for a in step["real"])
        random_pages = Counter(a[3] for a in step["random"])
        row["same_page"] = set(real_pages) == set(random_pages) and len(real_pages) == 1
        rows.append(row)
    return rows


def probe_in_process(links: list, *, sequences: int) -> dict:
    """`link_verify` here: a real link and an unknown token in turn, six wrong dates each (the
    first on a fresh link). Per step: the time, and the SQL statements each ran."""
    from datetime import date

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from intake.links.services import link_verify, token_hash

    times = [{"real": [], "random": []} for _ in range(STEPS)]
    statements: list[dict[str, list[str]]] = [{} for _ in range(STEPS)]
    wrong = date.fromisoformat(WRONG_DATE)
    real = iter(links)
    for n in range(sequences):
        digests = {"real": token_hash(next(real).token), "random": token_hash(random_token())}
        for step in range(STEPS):
            order = ("real", "random") if (n + step) % 2 == 0 else ("random", "real")
            for kind in order:
                with CaptureQueriesContext(connection) as queries:
                    began = time.perf_counter()
                    link_verify(token_digest=digests[kind], date_of_birth=wrong, ip="127.0.0.1")
                    elapsed = (time.perf_counter() - began) * 1000
                if n >= sequences // 5:  # the first fifth warms up
                    times[step][kind].append(elapsed)
                statements[step][kind] = [shorten(q["sql"]) for q in queries.captured_queries]
    return {
        "steps": [
            {
                "step": number,
                **{
                    kind: {
                        **summary(times[number - 1][kind]),
                        "statements": statements[number - 1][kind],
                    }
                    for kind in ("real", "random")
                },
            }
            for number in range(1, STEPS + 1)
        ]
    }


def shorten(statement: str) -> str:
    """The statement's verb and tables, without its columns and values."""
    statement = re.sub(r"'[^']*'", "'…'", statement)
    verb = statement.split(" ", 1)[0]
    tables = sorted(set(re.findall(r'(?:FROM|INTO|UPDATE|JOIN)\s+"(\w+)"', statement)))
    where = re.search(r"WHERE (.{0,90})", statement)
    return f"{verb} {', '.join(tables)}" + (f" WHERE {where.group(1)}" if where else "")


def clinic_admin() -> None:
    """One clinic admin with an email address: a link that locks itself tells them."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from clinic.staff.roles import Role

    admin = get_user_model().objects.create_user(
        "probe-admin", email="probe-admin@bench.previsit.invalid", is_staff=True
    )
    admin.groups.add(Group.objects.get(name=Role.CLINIC_ADMIN.value))


def markdown(result: dict) -> str:
    t = result["timing"]
    lines = [
        f"Wrong birth date, real link against random token: {t['real']['n']} pairs, "
        f"interleaved, gunicorn {result['server']}",
        "",
        "| | median ms | p95 ms | mean ms |",
        "|---|---|---|---|",
    ]
    for kind in ("real", "random"):
        s = t[kind]
        lines.append(f"| {kind} | {s['median_ms']} | {s['p95_ms']} | {s['mean_ms']} |")
    lines += [
        "",
        f"median ratio real/random {t['median_ratio']}, difference {t['median_difference_ms']}"
        f" ms; median of paired differences {t['median_of_paired_differences_ms']} ms; by "
        f"fifth of the run {t['median_difference_by_block_ms']} ms",
        "",
        "| step | real: status, message, median ms | random: status, message, median ms "
        "| same page |",
        "|---|---|---|---|",
    ]
    for row in result["sequence"]:
        cells = [
            f"{row[k]['statuses']} {row[k]['messages']} {row[k]['median_ms']}"
            for k in ("real", "random")
        ]
        lines.append(f"| {row['step']} | {cells[0]} | {cells[1]} | {row['same_page']} |")
    lines += [
        "",
        "link_verify in this process, per wrong date:",
        "",
        "| step | real median ms | statements | random median ms | statements |",
        "|---|---|---|---|---|",
    ]
    steps = result["in_process"]["steps"]
    for row in steps:
        real, fake = row["real"], row["random"]
        lines.append(
            f"| {row['step']} | {real['median_ms']} | {len(real['statements'])} | "
            f"{fake['median_ms']} | {len(fake['statements'])} |"
        )
    shown = set()
    for row in steps:
        for kind in ("real", "random"):
            listed = tuple(row[kind]["statements"])
            if listed in shown:
                continue
            shown.add(listed)
            lines.append(f"\n{kind}, step {row['step']}:")
            lines += [f"- {statement}" for statement in listed]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=300)
    parser.add_argument("--sequences", type=int, default=40)
    parser.add_argument(
        "--in-process", type=int, default=100, help="sequences of link_verify in this process"
    )
    parser.add_argument("--database-url", default=f"postgres://postgres@127.0.0.1:5432/{PROBE_DB}")
    parser.add_argument("--keep-db", action="store_true")
    parser.add_argument("--json", type=Path, default=RESULT)
    args = parser.parse_args(argv)
    if not seed.database_name(args.database_url).startswith(PROBE_DB):
        parser.error(f"the probe database must be named {PROBE_DB}: it is dropped each run")
    run.take_over()
    managed: list[servers.Managed] = []
    result: dict = {"server": "sync (1×1)"}
    try:
        redis_process, redis_url = servers.private_redis(name="probe-redis")
        managed.append(redis_process)
        env = servers.bench_env(
            database_url=args.database_url, redis_url=redis_url, **servers.throwaway_keys()
        )
        env["CACHE_KEY_PREFIX"] = "previsit-probe"
        log("collectstatic (in the background) and a fresh probe database")
        static = run.start_collectstatic(env)
        managed.append(static)
        run.fresh_database(env, database_url=args.database_url)
        needed = WARMUP_PAIRS + args.pairs + args.sequences + args.in_process
        seeded = seed.seed(history=200, page_pool=needed + 10, submit_pool=0, log=log)
        clinic_admin()
        if static.popen.wait(timeout=300) != 0:
            raise RuntimeError(f"collectstatic failed:\n{static.log_tail()}")
        port = servers.free_port()
        base_url = f"http://127.0.0.1:{port}"
        server = servers.gunicorn(
            worker_class="sync",
            workers=1,
            threads=1,
            port=port,
            env=env,
            cpu=servers.SERVER_CPU if servers.can_pin() else None,
            name="probe-gunicorn",
        ).start()
        managed.append(server)
        servers.wait_http(f"{base_url}/healthz", headers=load.PROXY_HEADERS, process=server)
        links = seeded.page_pool
        over_http, in_process = links[: -args.in_process], links[-args.in_process :]
        log(f"probing: {args.pairs} pairs, {args.sequences} sequences of {STEPS} wrong dates")
        result.update(
            asyncio.run(probe_http(base_url, over_http, pairs=args.pairs, sequences=args.sequences))
        )
        log(f"link_verify in this process, {args.in_process} sequences")
        result["in_process"] = probe_in_process(in_process, sequences=args.in_process)
    finally:
        for process in reversed(managed):
            process.stop()
        if not args.keep_db:
            from django.db import connections

            connections.close_all()
            seed.drop_database(database_url=args.database_url)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2) + "\n")
    print(markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
