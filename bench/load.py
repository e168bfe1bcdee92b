"""An open-model load generator: asyncio + httpx at a constant arrival rate (wrk2-style).

Request i is due at `start + i / rate`, whether or not earlier ones have answered, and its
latency is measured from that due time, not from when it was sent: a server that stalls
can't slow the load down and hide its tail (no coordinated omission). The generator records
how late it sent each request (`send_lag`), so a generator that could not keep up shows.

`closed_steps()` is the other model, used only to find capacity: N virtual users each send
their next request when the last one answers, for a few N, and throughput is what comes back.

Cookies are kept per virtual user by hand: the production settings mark them Secure, and
httpx (rightly) won't send a Secure cookie over the plain-HTTP loopback; the harness plays
the TLS-terminating proxy by sending X-Forwarded-Proto itself.

Run `python bench/load.py URL --rate 50 --duration 30` for a quick GET load on one address.
"""

from __future__ import annotations

import asyncio
import math
import secrets
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import httpx

PROXY_HEADERS = {"X-Forwarded-Proto": "https"}


# --- Statistics -------------------------------------------------------------------------------


def percentile(sorted_values: Sequence[float], p: float) -> float:
    """The nearest-rank percentile of values sorted ascending: the smallest value with at least
    p% of the values at or below it (HdrHistogram's definition; no interpolation)."""
    if not sorted_values:
        raise ValueError("no values")
    if not 0 <= p <= 100:
        raise ValueError(f"percentile {p} is outside 0-100")
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def arrival_schedule(rate: float, duration: float) -> list[float]:
    """Due times (seconds from the start) of a constant arrival rate, 1/rate apart."""
    if rate <= 0 or duration <= 0:
        raise ValueError("rate and duration must be positive")
    count = math.floor(rate * duration + 1e-9)
    return [i / rate for i in range(count)]


def summarize(latencies: Iterable[float]) -> dict:
    """p50/p95/p99/max/mean in milliseconds of latencies given in seconds."""
    values = sorted(latencies)
    if not values:
        return {"count": 0}
    return {
        "count": len(values),
        "p50_ms": round(percentile(values, 50) * 1000, 2),
        "p95_ms": round(percentile(values, 95) * 1000, 2),
        "p99_ms": round(percentile(values, 99) * 1000, 2),
        "max_ms": round(values[-1] * 1000, 2),
        "mean_ms": round(sum(values) / len(values) * 1000, 2),
    }


# --- Virtual users and requests --------------------------------------------------------------


class VirtualUser:
    """One browser: its cookies, kept from every answer and sent with every request."""

    def __init__(self, name: str, cookies: dict[str, str] | None = None):
        self.name = name
        self.cookies: dict[str, str] = dict(cookies or {})
        self.state: dict = {}  # what the scenario needs to remember (page cursor, ...)

    def absorb(self, response: httpx.Response) -> None:
        for header in response.headers.get_list("set-cookie"):
            first = header.split(";", 1)[0]
            name, _, value = first.partition("=")
            name, value = name.strip(), value.strip().strip('"')
            lowered = header.lower()
            if not value or "max-age=0" in lowered or "expires=thu, 01 jan 1970" in lowered:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value

    def cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    def mint_csrf(self, cookie_name: str) -> None:
        """A CSRF secret of our own, as the cookie a browser would already hold."""
        alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
        self.cookies.setdefault(cookie_name, "".join(secrets.choice(alphabet) for _ in range(32)))


@dataclass
class Call:
    """One request a virtual user makes, and what counts as success."""

    tag: str
    method: str
    path: str
    user: VirtualUser | None = None
    data: dict | None = None
    expect_status: int = 200
    expect_location: str | None = None  # a prefix the redirect must go to
    csrf_cookie: str | None = None  # send this cookie's value as X-CSRFToken


@dataclass
class Sample:
    tag: str
    due: float  # seconds from the point's start; the closed model uses the send time
    send_lag: float
    latency: float
    finished: float
    ok: bool
    status: int | None
    error: str = ""


@dataclass
class PointResult:
    samples: list[Sample] = field(default_factory=list)
    warmup: float = 0.0
    duration: float = 0.0
    not_sent: int = 0  # requests the scenario had no user for (a pool ran dry)
    started: float = 0.0  # time.monotonic() at due time 0, to place other events on its clock


async def request(client: httpx.AsyncClient, call: Call, origin: str) -> httpx.Response:
    """Send one call as its user's browser would (cookies, Origin, CSRF header) and read the
    whole answer; the user keeps the cookies it sets. Raises httpx.HTTPError."""
    headers = dict(PROXY_HEADERS)
    user = call.user
    if user is not None and user.cookies:
        headers["Cookie"] = user.cookie_header()
    if call.method == "POST":
        headers["Origin"] = origin
        if call.csrf_cookie and user is not None and call.csrf_cookie in user.cookies:
            headers["X-CSRFToken"] = user.cookies[call.csrf_cookie]
    response = await client.request(call.method, call.path, data=call.data, headers=headers)
    await response.aread()
    if user is not None:
        user.absorb(response)
    return response


async def send(client: httpx.AsyncClient, call: Call, origin: str) -> tuple[bool, int | None, str]:
    try:
        response = await request(client, call, origin)
    except httpx.HTTPError as exc:
        return False, None, type(exc).__name__
    if response.status_code != call.expect_status:
        return False, response.status_code, f"status {response.status_code}"
    if call.expect_location is not None:
        location = response.headers.get("location", "")
        if not location.startswith(call.expect_location):
            return False, response.status_code, f"redirect to {location}"
    return True, response.status_code, ""


def make_client(base_url: str, *, connections: int, timeout: float) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=base_url,
        limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections),
        timeout=httpx.Timeout(timeout, pool=timeout),
        follow_redirects=False,
    )


async def open_point(
    base_url: str,
    next_call: Callable[[int], Call | None],
    *,
    rate: float,
    duration: float,
    warmup: float,
    connections: int = 64,
    timeout: float = 10.0,
    on_done: Callable[[Call, Sample], None] | None = None,
) -> PointResult:
    """Constant arrival rate for warmup + duration seconds; samples due in the warm-up are
    kept but flagged by `due < warmup` (the report leaves them out).

    At most `connections` requests are in flight; the rest wait their turn, their wait counted
    in their latency. One still waiting `timeout` seconds after it was due is given up unsent
    (an error, as a patient's browser would give up), so an overloaded point ends on time and
    leaves no backlog. `send_lag` is how late the generator itself created each request.
    `on_done(call, sample)`, if given, hears of each answer as it comes (a scenario whose users
    wait for one answer before their next request).
    """
    origin = base_url.replace("http://", "https://", 1)
    result = PointResult(warmup=warmup, duration=duration)
    loop = asyncio.get_running_loop()
    gate = asyncio.Semaphore(connections)
    async with make_client(base_url, connections=connections, timeout=timeout) as client:

        async def fire(due: float, start: float, call: Call, lag: float) -> None:
            async with gate:
                if loop.time() - start - due > timeout:
                    ok, status, error = False, None, "gave up waiting for a connection"
                else:
                    ok, status, error = await send(client, call, origin)
            done = loop.time() - start
            sample = Sample(call.tag, due, lag, done - due, done, ok, status, error)
            result.samples.append(sample)
            if on_done is not None:
                on_done(call, sample)

        start = loop.time() + 0.05
        result.started = start
        tasks = []
        for i, due in enumerate(arrival_schedule(rate, warmup + duration)):
            delay = start + due - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            call = next_call(i)
            if call is None:
                result.not_sent += 1
                continue
            lag = loop.time() - start - due
            tasks.append(asyncio.create_task(fire(due, start, call, lag)))
        await asyncio.gather(*tasks)
    return result


async def closed_steps(
    base_url: str,
    next_call: Callable[[int], Call | None],
    *,
    concurrency: Sequence[int],
    step_seconds: float,
    timeout: float = 10.0,
) -> list[dict]:
    """For each N in `concurrency`: N users back to back for step_seconds; throughput and
    service-time percentiles per step (this model's latencies are not the targets' latencies)."""
    origin = base_url.replace("http://", "https://", 1)
    counter = iter(range(10**9))
    loop = asyncio.get_running_loop()
    steps = []

    async def user_loop(client, samples: list[Sample], start: float, stop_at: float) -> None:
        while loop.time() < stop_at:
            call = next_call(next(counter))
            if call is None:
                return
            sent = loop.time()
            ok, status, error = await send(client, call, origin)
            done = loop.time()
            samples.append(
                Sample(call.tag, sent - start, 0.0, done - sent, done - start, ok, status, error)
            )

    for users in concurrency:
        samples: list[Sample] = []
        async with make_client(base_url, connections=users, timeout=timeout) as client:
            start = loop.time()
            stop_at = start + step_seconds
            await asyncio.gather(
                *(user_loop(client, samples, start, stop_at) for _ in range(users))
            )
        in_window = [s for s in samples if s.finished <= step_seconds]
        good = [s for s in in_window if s.ok]
        steps.append(
            {
                "concurrency": users,
                "seconds": step_seconds,
                "throughput_rps": round(len(good) / step_seconds, 1),
                "errors": sum(1 for s in samples if not s.ok),
                "service_time": summarize(s.latency for s in good),
            }
        )
    return steps


def point_stats(result: PointResult, *, rate: float, tag: str | None = None) -> dict:
    """The report for one open-model point: only requests due after the warm-up count."""
    measured = [
        s for s in result.samples if s.due >= result.warmup and (tag is None or s.tag == tag)
    ]
    good = [s for s in measured if s.ok]
    end = result.warmup + result.duration
    completed = [s for s in good if result.warmup <= s.finished < end]
    errors: dict[str, int] = {}
    for s in measured:
        if not s.ok:
            errors[s.error] = errors.get(s.error, 0) + 1
    lags = sorted(s.send_lag for s in measured) or [0.0]
    return {
        "offered_rps": rate,
        "seconds": result.duration,
        "requests": len(measured),
        "errors": len(measured) - len(good),
        "error_kinds": errors,
        "not_sent": result.not_sent,
        "throughput_rps": round(len(completed) / result.duration, 1),
        "latency": summarize(s.latency for s in good),
        "send_lag_p99_ms": round(percentile(lags, 99) * 1000, 2),
        "latencies_ms": sorted(round(s.latency * 1000, 3) for s in good),
    }


def main(argv: list[str] | None = None) -> None:
    import argparse
    import json
    from urllib.parse import urlsplit

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("url")
    parser.add_argument("--rate", type=float, default=20)
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument("--warmup", type=float, default=2)
    args = parser.parse_args(argv)
    parts = urlsplit(args.url)
    host = urlsplit(args.url)._replace(path="", query="", fragment="").geturl()
    if parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        parser.error("only loopback addresses are load-tested")
    path = parts.path + (f"?{parts.query}" if parts.query else "")

    def next_call(i: int) -> Call:
        return Call("get", "GET", path or "/")

    started = time.monotonic()
    result = asyncio.run(
        open_point(host, next_call, rate=args.rate, duration=args.duration, warmup=args.warmup)
    )
    stats = point_stats(result, rate=args.rate)
    stats.pop("latencies_ms")
    stats["wall_s"] = round(time.monotonic() - started, 1)
    print(json.dumps(stats, indent=2))


if __name__ == "__main__":
    main()
