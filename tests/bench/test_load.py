"""The load generator's arithmetic: percentiles, the constant-arrival schedule, cookies.

No timing is asserted: these run on shared machines.
"""

import httpx
import pytest

from bench.load import (
    PointResult,
    Sample,
    VirtualUser,
    arrival_schedule,
    percentile,
    point_stats,
    summarize,
)


def test_nearest_rank_percentile_of_one_to_a_hundred_is_the_value_at_that_rank():
    values = list(range(1, 101))
    assert percentile(values, 50) == 50
    assert percentile(values, 95) == 95
    assert percentile(values, 99) == 99
    assert percentile(values, 100) == 100
    assert percentile(values, 0) == 1


def test_percentile_never_interpolates_between_samples():
    values = [10, 20, 30, 40]
    assert percentile(values, 50) == 20
    assert percentile(values, 51) == 30
    assert percentile(values, 99) == 40


def test_percentile_refuses_no_values_and_out_of_range():
    with pytest.raises(ValueError):
        percentile([], 50)
    with pytest.raises(ValueError):
        percentile([1.0], 101)


def test_constant_arrival_schedule_is_evenly_spaced_at_the_rate():
    due = arrival_schedule(50, 30)
    assert len(due) == 1500
    assert due[0] == 0
    gaps = {round(b - a, 9) for a, b in zip(due, due[1:], strict=False)}
    assert gaps == {0.02}
    assert due[-1] < 30


def test_schedule_counts_whole_requests_for_fractional_rates():
    assert len(arrival_schedule(2.5, 2)) == 5
    assert len(arrival_schedule(0.5, 3)) == 1
    with pytest.raises(ValueError):
        arrival_schedule(0, 10)


def test_summary_reports_milliseconds():
    stats = summarize([0.001 * n for n in range(1, 101)])
    assert stats["count"] == 100
    assert stats["p50_ms"] == 50
    assert stats["p95_ms"] == 95
    assert stats["p99_ms"] == 99
    assert stats["max_ms"] == 100
    assert summarize([]) == {"count": 0}


def _sample(due, latency, ok=True):
    return Sample(
        "page", due, 0.0, latency, due + latency, ok, 200 if ok else 500, "" if ok else "status 500"
    )


def test_point_stats_leave_out_the_warm_up_and_count_errors():
    result = PointResult(warmup=1.0, duration=2.0)
    result.samples = [
        _sample(0.5, 5.0),  # due in the warm-up: a slow start that does not count
        _sample(1.0, 0.010),
        _sample(1.5, 0.020),
        _sample(2.0, 0.030, ok=False),
    ]
    stats = point_stats(result, rate=2)
    assert stats["requests"] == 3
    assert stats["errors"] == 1
    assert stats["error_kinds"] == {"status 500": 1}
    assert stats["latency"]["count"] == 2
    assert stats["latency"]["max_ms"] == 20
    assert stats["throughput_rps"] == 1.0  # two good answers within the two measured seconds


def test_latency_counts_from_the_due_time_not_the_send_time():
    # Sent 0.2 s late (the server was stalled); the user waited 0.25 s from when it was due.
    late = Sample("page", 1.0, 0.2, 0.25, 1.25, True, 200)
    result = PointResult(samples=[late], warmup=0.0, duration=2.0)
    assert point_stats(result, rate=1)["latency"]["p50_ms"] == 250


def test_virtual_user_keeps_secure_cookies_and_drops_deleted_ones():
    user = VirtualUser("p1")
    user.absorb(
        httpx.Response(
            302,
            headers=[
                ("set-cookie", "__Host-sessionid=abc; HttpOnly; Path=/; SameSite=Lax; Secure"),
                ("set-cookie", "__Host-csrftoken=xyz; Path=/; Secure"),
            ],
        )
    )
    assert user.cookies == {"__Host-sessionid": "abc", "__Host-csrftoken": "xyz"}
    user.absorb(
        httpx.Response(
            200,
            headers=[
                (
                    "set-cookie",
                    '__Host-sessionid=""; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/',
                )
            ],
        )
    )
    assert user.cookies == {"__Host-csrftoken": "xyz"}
    assert user.cookie_header() == "__Host-csrftoken=xyz"
