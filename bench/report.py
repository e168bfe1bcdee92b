"""The report: targets met or missed, bench/results.json, bench/out/results.md and the plots."""

from __future__ import annotations

import copy
import json
import math
import re
import shutil
from pathlib import Path

SERVERS = ("sync", "gthread")
LABELS = {
    "floor": "floor (bare view: 1 indexed read + 1 insert)",
    "page_get": "questionnaire page, GET",
    "page_post": "page submit, POST (save draft)",
    "submit": "final submit",
    "queue": "clinician queue",
    "case": "case page",
}
# Latency targets: point tag -> (p95 ms, offered rate the issue states, label)
LATENCY_TARGETS = {
    "page_get": (50, 50, "patient questionnaire page (GET, crispy-rendered)"),
    "page_post": (75, 50, "page submit (POST, validate, save draft)"),
    "submit": (150, 20, "final submit (evaluate, triage, handout, flag, outbox rows)"),
    # The clinician point offers 20/s, half queue, half case pages.
    "queue": (100, 10, "clinician queue, 100,000 responses"),
    "case": (100, 10, "case page, 100,000 responses"),
}
PUBLISH_START = "<!-- bench:table:start -->"
PUBLISH_END = "<!-- bench:table:end -->"
README_PLOT = Path("docs/img/bench-latency.png")


def _point(results: dict, server: str, tag: str) -> dict | None:
    return results.get("servers", {}).get(server, {}).get("points", {}).get(tag)


def _p95(point: dict | None) -> float | None:
    return (point or {}).get("latency", {}).get("p95_ms")


def floor_ratio(results: dict, server: str, tag: str) -> float | None:
    mine, floor = _p95(_point(results, server, tag)), _p95(_point(results, server, "floor"))
    if mine is None or not floor:
        return None
    return round(mine / floor, 1)


def cpu_ratio(results: dict, server: str, tag: str) -> float | None:
    """CPU per request (web + database) against the floor's: steadier than latency ratios."""

    def total(point: dict | None) -> float | None:
        cpu = (point or {}).get("cpu_ms_per_request") or {}
        if cpu.get("web") is None:
            return None
        return cpu["web"] + (cpu.get("db") or 0)

    mine, floor = total(_point(results, server, tag)), total(_point(results, server, "floor"))
    if mine is None or not floor:
        return None
    return round(mine / floor, 1)


def _flatten(data, prefix: str = "") -> dict[str, object]:
    flat = {}
    if isinstance(data, dict):
        for key, value in data.items():
            flat.update(_flatten(value, f"{prefix}{key}."))
    else:
        flat[prefix.rstrip(".")] = data
    return flat


def _find(flat: dict, pattern: str) -> tuple[str, float] | None:
    for key, value in flat.items():
        if re.search(pattern, key, re.IGNORECASE) and isinstance(value, int | float):
            return key, value
    return None


def targets(results: dict) -> list[dict]:
    """One row per target of the issue: what, target, measured, ratio to the floor, met."""
    rows = []
    present = [s for s in SERVERS if s in results.get("servers", {})]
    for tag, (limit, rate, label) in LATENCY_TARGETS.items():
        measured, ratios, met = [], [], True
        for server in present:
            point = _point(results, server, tag)
            if point is None:
                met = False
                continue
            p95 = _p95(point)
            errors = point["errors"]
            text = f"{server} {p95} ms" + (f" ({errors} errors)" if errors else "")
            measured.append(text)
            ratios.append(
                f"{server} {floor_ratio(results, server, tag)} / {cpu_ratio(results, server, tag)}"
            )
            met = met and p95 is not None and p95 < limit and errors == 0
        offered = rate
        if offered is None and present and _point(results, present[0], tag):
            offered = f"{_point(results, present[0], tag)['offered_rps']:g}"
        rows.append(
            {
                "what": label,
                "target": f"p95 < {limit} ms at {offered}/s",
                "measured": " · ".join(measured) or "not measured",
                "ratio": " · ".join(ratios),
                "met": met and bool(measured),
            }
        )
    # Throughput: submits against the floor's inserts, each at its best concurrency.
    measured, ratios, met = [], [], bool(present)
    for server in present:
        capacity = results["servers"][server].get("capacity", {})
        submit, floor = (
            capacity.get("submit", {}).get("max_rps"),
            capacity.get("floor", {}).get("max_rps"),
        )
        if not submit or not floor:
            met = False
            continue
        share = submit / floor
        measured.append(f"{server} {submit}/s vs floor {floor}/s")
        ratios.append(f"{share:.0%}")
        met = met and share >= 0.40
    rows.append(
        {
            "what": "submit throughput",
            "target": "≥ 40% of the floor's insert throughput",
            "measured": " · ".join(measured),
            "ratio": " · ".join(ratios),
            "met": met,
        }
    )
    micro = results.get("micro", {})
    build = micro.get("handout_build", {}).get("p50_ms")
    rows.append(
        {
            "what": "handout build (rules, tailoring, HTML)",
            "target": "median < 10 ms",
            "measured": f"{build} ms (p95 {micro.get('handout_build', {}).get('p95_ms')} ms)",
            "ratio": "",
            "met": build is not None and build < 10,
        }
    )
    celery = results.get("celery", {})
    pdf = celery.get("pdf_latency", {}).get("p50_ms")
    inproc = micro.get("pdf_render", {}).get("p50_ms")
    rows.append(
        {
            "what": "PDF handout (Celery)",
            "target": "median < 400 ms",
            "measured": f"{pdf} ms enqueue to ready (render alone {inproc} ms)",
            "ratio": "",
            "met": pdf is not None and pdf < 400,
        }
    )
    rows.append(_notification_row(results.get("notifications", {})))
    measured, met = [], bool(present)
    for server in present:
        memory = results["servers"][server].get("memory", {})
        worst = memory.get("max_child_mb")
        measured.append(f"{server} {worst} MB")
        met = met and worst is not None and worst < 150
    rows.append(
        {
            "what": "web worker RSS after the load",
            "target": "< 150 MB",
            "measured": " · ".join(measured),
            "ratio": "",
            "met": met,
        }
    )
    worst, growth = celery.get("max_process_mb"), celery.get("growth_mb_after_first_round")
    rows.append(
        {
            "what": f"Celery worker RSS after {celery.get('tasks', 0):,} tasks",
            "target": "< 200 MB, no growth",
            "measured": f"{worst} MB, {growth:+} MB from task 1,000 on"
            if growth is not None
            else "not measured",
            "ratio": "",
            "met": worst is not None and worst < 200 and growth is not None and growth < 10,
        }
    )
    return rows


def _notification_row(data: dict) -> dict:
    row = {"what": "flag to notification delivered", "target": "p95 < 500 ms, ≥ 200/s"}
    if not data or "skipped" in data:
        return {**row, "measured": (data or {}).get("skipped", "not run"), "ratio": "", "met": None}
    flat = _flatten(data)
    # bench/notifications.py's names first; any p95 and rate it may report instead after.
    p95 = _find(flat, r"^latency\.flag_to_email_accepted_ms\.p95$") or _find(flat, r"p95")
    rate = _find(flat, r"^throughput\.emails_per_second$") or _find(
        flat, r"(throughput|per_s|per_second|rps)"
    )
    parts = []
    if p95:
        parts.append(f"p95 {p95[1]} ms")
    if rate:
        parts.append(f"{rate[1]}/s")
    met = bool(p95 and rate) and p95[1] < 500 and rate[1] >= 200
    return {
        **row,
        "measured": ", ".join(parts) or "see bench/out/notifications.json",
        "ratio": "",
        "met": met if (p95 and rate) else None,
    }


def _mark(met: bool | None) -> str:
    return {True: "met", False: "**missed**", None: "n/a"}[met]


def markdown(results: dict) -> str:
    machine = results.get("machine", {})
    lines = [
        f"Measured {machine.get('date', '?')} on {machine.get('cpu', '?')}, "
        f"{machine.get('cores', '?')} cores, {machine.get('ram_gb', '?')} GB RAM; Python "
        f"{machine.get('python', '?')}, Django {machine.get('django', '?')}, PostgreSQL "
        f"{machine.get('postgresql', '?')}, Redis {machine.get('redis', '?')}. "
        f"{machine.get('pinning', '')}. `make bench` took "
        f"{results.get('wall_time_s', 0) / 60:.1f} min.",
        "",
        *(
            [f"**Incomplete run** ({results['error']}): what is missing was not measured.", ""]
            if results.get("error")
            else []
        ),
        "| what | target | measured (gunicorn sync · gthread) | × floor (p95 / CPU) | |",
        "|---|---|---|---|---|",
    ]
    for row in targets(results):
        lines.append(
            f"| {row['what']} | {row['target']} | {row['measured']} | {row['ratio']} | "
            f"{_mark(row['met'])} |"
        )
    lines += [
        "",
        "Every point (open model, constant arrival rate, latency from each request's due time; "
        "CPU is what gunicorn's processes and the bench database's PostgreSQL backends used, "
        "per request; queue and case share one point, so one figure for their mix):",
        "",
        "| server | point | offered/s | achieved/s | p50 ms | p95 ms | p99 ms | errors | "
        "× floor p95 | CPU ms/request: web + db | × floor CPU | "
        "other work on the machine (cores) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for server, data in results.get("servers", {}).items():
        config = data["config"]
        name = f"{server} ({config['workers']}×{config['threads']})"
        for tag, point in data.get("points", {}).items():
            lat = point["latency"]
            lines.append(
                f"| {name} | {LABELS.get(tag, tag)} | {point['offered_rps']:g} | "
                f"{point['throughput_rps']} | {lat.get('p50_ms')} | {lat.get('p95_ms')} | "
                f"{lat.get('p99_ms')} | {point['errors']} | "
                f"{floor_ratio(results, server, tag)} | {_cpu(point)} | "
                f"{cpu_ratio(results, server, tag)} | {point.get('background_cores', '')} |"
            )
    lines += ["", "Capacity (closed model, N users back to back):", ""]
    lines += ["| server | point | users → requests/s |", "|---|---|---|"]
    for server, data in results.get("servers", {}).items():
        for tag, capacity in data.get("capacity", {}).items():
            steps = ", ".join(
                f"{s['concurrency']} → {s['throughput_rps']}" for s in capacity["steps"]
            )
            lines.append(f"| {server} | {LABELS.get(tag, tag)} | {steps} |")
    return "\n".join(lines) + "\n"


def _cpu(point: dict) -> str:
    cpu = point.get("cpu_ms_per_request") or {}
    if cpu.get("web") is None:
        return ""
    return f"{cpu['web']} + {cpu['db']}"


def _nines(p: float) -> float:
    return -math.log10(1 - p / 100)


def plot_latency(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tags = ["floor", "page_get", "page_post", "submit", "queue", "case"]
    fig, axes = plt.subplots(2, 3, figsize=(13, 7), sharex=True)
    ticks = [50, 90, 99, 99.9]
    for ax, tag in zip(axes.flat, tags, strict=True):
        for server, style in zip(SERVERS, ("-", "--"), strict=True):
            point = _point(results, server, tag)
            values = (point or {}).get("latencies_ms")
            if not values:
                continue
            n = len(values)
            xs = [_nines(min(99.99, 100 * (i + 1) / n)) for i in range(n)]
            label = f"{server} @ {point['offered_rps']:g}/s"
            ax.plot(xs, values, style, label=label)
        if tag in LATENCY_TARGETS:
            ax.axhline(LATENCY_TARGETS[tag][0], color="red", linestyle=":", label="p95 target")
            ax.axvline(_nines(95), color="grey", linewidth=0.5)
        ax.set_title(LABELS[tag], fontsize=10)
        ax.set_xticks([_nines(t) for t in ticks], [f"p{t:g}" for t in ticks])
        ax.set_ylabel("ms")
        ax.set_yscale("log")
        ax.legend(fontsize=8)
        ax.grid(True, which="both", alpha=0.3)
    fig.suptitle("Latency by percentile (from each request's due time; log scale)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_throughput(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    for ax, tag in zip(axes, ("floor", "submit"), strict=True):
        for server, style in zip(SERVERS, ("o-", "s--"), strict=True):
            capacity = results.get("servers", {}).get(server, {}).get("capacity", {}).get(tag)
            if not capacity:
                continue
            xs = [s["concurrency"] for s in capacity["steps"]]
            ys = [s["throughput_rps"] for s in capacity["steps"]]
            ax.plot(xs, ys, style, label=server)
        ax.set_xscale("log", base=2)
        users = sorted(
            {
                step["concurrency"]
                for data in results.get("servers", {}).values()
                for step in data.get("capacity", {}).get(tag, {}).get("steps", [])
            }
        )
        ax.set_xticks(users, [str(u) for u in users])
        ax.set_xlabel("concurrent users (closed model)")
        ax.set_ylabel("requests/s")
        ax.set_title(LABELS[tag], fontsize=10)
        ax.grid(True, alpha=0.3)
        ax.legend()
    fig.suptitle("Throughput against concurrency (server on one core)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_all(results: dict, *, results_path: Path, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    compact = copy.deepcopy(results)
    raw = {}
    for server, data in compact.get("servers", {}).items():
        for tag, point in data.get("points", {}).items():
            raw[f"{server}/{tag}"] = point.pop("latencies_ms", [])
    compact["targets"] = targets(results)
    results_path.write_text(json.dumps(compact, indent=2) + "\n")
    (out / "latencies.json").write_text(json.dumps(raw))
    (out / "results.md").write_text(markdown(results))
    if results.get("servers"):
        plot_latency(results, out / "latency.png")
        plot_throughput(results, out / "throughput.png")


def publish(results: dict, *, out: Path, root: Path) -> None:
    """The table into README.md between the markers, the latency plot into docs/img/."""
    readme = root / "README.md"
    text = readme.read_text()
    start, end = text.index(PUBLISH_START), text.index(PUBLISH_END)
    table = markdown(results)
    text = text[: start + len(PUBLISH_START)] + "\n" + table + text[end:]
    readme.write_text(text)
    (root / README_PLOT).parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(out / "latency.png", root / README_PLOT)


def main(argv: list[str] | None = None) -> None:
    """Rebuild the table and plots from bench/results.json and bench/out/latencies.json."""
    import argparse

    root = Path(__file__).resolve().parent.parent
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--publish", action="store_true", help="also update README and docs/img")
    args = parser.parse_args(argv)
    out = root / "bench" / "out"
    results = json.loads((root / "bench" / "results.json").read_text())
    raw = json.loads((out / "latencies.json").read_text())
    for key, values in raw.items():
        server, tag = key.split("/", 1)
        results["servers"][server]["points"][tag]["latencies_ms"] = values
    results.pop("targets", None)
    write_all(results, results_path=root / "bench" / "results.json", out=out)
    if args.publish:
        publish(results, out=out, root=root)


if __name__ == "__main__":
    main()
