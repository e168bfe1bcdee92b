"""The soak's bookkeeping: which emails were lost or doubled, the phases, the patients' turns.

No timing is asserted and nothing is served: these check the arithmetic on constructed input.
"""

from bench.load import Sample
from bench.seed import PoolPatient
from bench.soak import PAGING_EVERY, Portal, ledger, phase_bounds, phase_stats, visit_order


def message(pk: int) -> str:
    return f"<previsit-notification-{pk}@127.0.0.1>"


def sample(tag: str, due: float, *, ok: bool = True, latency: float = 0.1, error: str = ""):
    return Sample(tag, due, 0.0, latency, due + latency, ok, 200 if ok else 500, error)


def test_an_email_received_once_is_delivered_none_is_lost_and_twice_is_doubled():
    rows = {1: "sent", 2: "sent", 3: "pending", 4: "failed", 5: "cancelled"}
    result = ledger(rows, [message(1), message(2), message(2), message(99), "<other@x>"])

    assert result["created"] == 5
    assert result["delivered"] == 2
    assert result["lost"] == 2 and result["lost_ids"] == [3, 4]
    assert result["lost_by_status"] == {"pending": 1, "failed": 1}
    assert result["doubled"] == 1 and result["doubled_ids"] == {2: 2}
    assert result["unexpected_messages"] == 2  # a message for no row of ours counts apart


def test_a_sent_row_whose_message_never_arrived_is_lost():
    assert ledger({7: "sent"}, [])["lost_ids"] == [7]


def test_phases_are_cut_at_each_fault_and_the_last_runs_to_the_end():
    events = [
        {"at": 40.0, "what": "worker killed"},
        {"at": 45.0, "what": "new worker ready"},
        {"at": 80.0, "what": "Redis stopped"},
        {"at": 105.0, "what": "Redis started again, empty"},
    ]
    assert phase_bounds(events, warmup=10, end=130) == [
        ("warm-up", 0.0, 10),
        ("before the worker kill", 10, 40.0),
        ("after the worker kill", 40.0, 80.0),
        ("Redis down", 80.0, 105.0),
        ("after Redis is back", 105.0, 130),
    ]
    # A fault that never happened (the operator failed) leaves its phase out.
    assert [p[0] for p in phase_bounds(events[:2], warmup=10, end=130)] == [
        "warm-up",
        "before the worker kill",
        "after the worker kill",
    ]


def test_phase_stats_count_each_request_by_its_due_time_and_keep_errors_out_of_latency():
    samples = [
        sample("page_get", 11, latency=0.1),
        sample("queue", 12, latency=0.3),
        sample("submit", 39.9, ok=False, latency=10, error="status 500"),
        sample("case", 40.0, latency=0.2),
    ]
    before, after = phase_stats(samples, [("before", 10, 40), ("after", 40, 70)])

    assert before["requests"] == 3 and before["errors"] == 1
    assert before["error_kinds"] == {"status 500": 1}
    assert before["p95_ms"] == 300.0  # the 10 s failure is not a latency
    assert before["portal"] == {"requests": 2, "p50_ms": 100.0, "p95_ms": 100.0}
    assert before["dashboard"]["requests"] == 1
    assert after["requests"] == 1 and after["dashboard"]["p50_ms"] == 200.0


def patients(count: int, vignette: str = "V01") -> list[PoolPatient]:
    return [PoolPatient(n, f"token-{n}", "1980-01-01", vignette) for n in range(count)]


def test_every_third_visit_is_one_that_pages_while_there_are_such_patients():
    pool = patients(2, "V-emergency") + patients(10, "V-routine")
    levels = {"V-emergency": "emergency", "V-routine": "routine"}

    ordered = [p.vignette for p in visit_order(pool, levels)]

    assert len(ordered) == 12
    assert [n for n, v in enumerate(ordered) if v == "V-emergency"] == [0, PAGING_EVERY]


def test_a_patient_sends_the_next_request_only_after_the_last_answered_and_retries_a_failure():
    portal = Portal(patients(1), {"V01": [("page-1", {"q": "1"})]})  # just the one patient

    first = portal.next_call()
    assert first.tag == "link"
    assert portal.next_call() is None  # waiting for the answer: nothing more from them
    portal.on_done(first, sample("link", 0))
    verify = portal.next_call()
    assert verify.tag == "verify"
    portal.on_done(verify, sample("verify", 1, ok=False, error="status 500"))
    assert portal.next_call() is verify  # pressed again
    portal.on_done(verify, sample("verify", 2))
    tags = []
    while (call := portal.next_call()) is not None:
        tags.append(call.tag)
        portal.on_done(call, sample(call.tag, 3))
    assert tags == ["page_get", "page_post", "submit"]
    assert portal.counts["submitted"] == 1 and portal.active == []
