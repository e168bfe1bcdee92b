"""The system under test: gunicorn and a Celery worker with production settings, and their RSS.

Every process is started in its own session (process group) and `stop()` ends the whole group,
so a crash of the harness leaves nothing running (run.py stops them in `finally`).
"""

from __future__ import annotations

import base64
import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
VAR = ROOT / "var" / "bench"
SERVER_CPU = 0
LOAD_CPU = 1


# The cores this process could use when it started (run.py then pins itself to LOAD_CPU).
START_CPUS = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else set()


def can_pin() -> bool:
    return {SERVER_CPU, LOAD_CPU} <= START_CPUS


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def bench_env(
    *, database_url: str, redis_url: str, secret_key: str, field_key: str
) -> dict[str, str]:
    """DJANGO_ENV=production as deployed behind a TLS proxy (README "Deploying").

    The proxy's X-Forwarded-Proto is sent by the load generator, so HTTPS redirects, HSTS and
    secure cookies stay as in production while no TLS is measured. The rate limit on birth
    date checks is lifted: every virtual patient comes from 127.0.0.1. Staff sign in without
    a second factor (STAFF_2FA_ROLES empty): what is measured is the pages after sign-in.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PREVISIT_"))}
    env.update(
        DJANGO_ENV="production",
        DJANGO_SETTINGS_MODULE="clinic.settings",
        SECRET_KEY=secret_key,
        FIELD_ENCRYPTION_KEYS=field_key,
        STAFF_2FA_ROLES="",
        ALLOWED_HOSTS="127.0.0.1",
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        CACHE_KEY_PREFIX="previsit-bench",
        SECURE_PROXY_SSL_HEADER_ENABLED="true",
        PREVISIT_VERIFY_PER_IP_PER_HOUR="100000000",
        PREVISIT_BENCH_FLOOR="true",
        PREVISIT_VAR_DIR=str(VAR),
        STATIC_ROOT=str(VAR / "static"),
        MEDIA_ROOT=str(VAR / "media"),
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
        # Connections kept for the whole run (production: 60 s), so each PostgreSQL backend
        # lives from one CPU reading to the next and its time per request can be counted.
        CONN_MAX_AGE="900",
    )
    return env


class Managed:
    """One long-running child process in its own process group, optionally pinned and niced."""

    def __init__(
        self, name: str, argv: list[str], *, env: dict, cpu: int | set[int] | None, nice: int = 0
    ):
        self.name, self.argv, self.env, self.cpu, self.nice = name, argv, env, cpu, nice
        self.log_path = OUT / "logs" / f"{name}.log"
        self.popen: subprocess.Popen | None = None

    def start(self) -> Managed:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        cpu, nice = self.cpu, self.nice

        def prepare():  # runs in the child before exec
            if cpu is not None:
                os.sched_setaffinity(0, cpu if isinstance(cpu, set) else {cpu})
            if nice:
                os.nice(nice)

        log = self.log_path.open("w")
        try:
            self.popen = subprocess.Popen(
                self.argv,
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                preexec_fn=prepare,  # affinity and nice, before exec
            )
        finally:
            log.close()
        return self

    @property
    def pid(self) -> int:
        assert self.popen is not None
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self, timeout: float = 15, *, first_signal: int = signal.SIGTERM) -> None:
        if self.popen is None:
            return
        try:
            group = os.getpgid(self.popen.pid)
        except ProcessLookupError:
            group = None
        if group is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(group, first_signal)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(timeout=timeout)
        if group is not None:
            # Also whatever the main process left behind (pool children, gunicorn workers).
            with contextlib.suppress(ProcessLookupError):
                os.killpg(group, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(timeout=5)
        self.popen = None


def gunicorn(
    *,
    worker_class: str,
    workers: int,
    threads: int,
    port: int,
    env: dict,
    cpu: int | None,
    name: str | None = None,
) -> Managed:
    argv = [
        sys.executable, "-m", "gunicorn", "clinic.wsgi:application",
        "--bind", f"127.0.0.1:{port}",
        "--worker-class", worker_class,
        "--workers", str(workers),
        "--threads", str(threads),
        "--backlog", "2048",
        "--timeout", "60",
        "--graceful-timeout", "5",
        "--log-level", "warning",
    ]  # fmt: skip
    return Managed(name or f"gunicorn-{worker_class}", argv, env=env, cpu=cpu)


def celery_worker(
    *, env: dict, cpu: int | None, nice: int, concurrency: int, name: str = "celery-worker"
) -> Managed:
    argv = [
        sys.executable, "-m", "celery", "-A", "clinic", "worker",
        "--queues", "default,notifications,pdf",
        "--concurrency", str(concurrency),
        "--hostname", "bench@%h",
        "--loglevel", "WARNING",
        "--without-gossip", "--without-mingle",
    ]  # fmt: skip
    return Managed(name, argv, env=env, cpu=cpu, nice=nice)


def redis_server(*, port: int, name: str = "redis") -> Managed:
    """A private, memory-only redis-server on loopback, unpinned like the machine's own."""
    argv = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
    argv += ["--appendonly", "no"]
    return Managed(name, argv, env=dict(os.environ), cpu=set(START_CPUS) or None)


def private_redis(*, name: str) -> tuple[Managed, str]:
    """A redis-server of the run's own, started and answering; it and its URL."""
    import redis

    port = free_port()
    process = redis_server(port=port, name=name).start()
    url = f"redis://127.0.0.1:{port}/0"
    try:
        wait_redis(redis.Redis.from_url(url), process=process)
    except BaseException:
        process.stop()
        raise
    return process, url


def throwaway_keys() -> dict[str, str]:
    """A SECRET_KEY and a Fernet key for one run, for bench_env()."""
    return {
        "secret_key": secrets.token_urlsafe(50),
        "field_key": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
    }


def wait_redis(client, *, process: Managed | None, timeout: float = 15) -> None:
    import redis

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and not process.alive():
            raise RuntimeError(f"redis-server exited:\n{process.log_tail()}")
        try:
            client.ping()
            return
        except redis.ConnectionError:
            time.sleep(0.1)
    raise RuntimeError("Redis did not answer a ping")


def wait_http(url: str, *, headers: dict, process: Managed, timeout: float = 40) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        if not process.alive():
            raise RuntimeError(f"{process.name} exited:\n{process.log_tail()}")
        try:
            answer = httpx.get(url, headers=headers, timeout=2)
            if answer.status_code == 200:
                return
            last = f"HTTP {answer.status_code}: {answer.text[:300]}"
        except httpx.HTTPError as exc:
            last = repr(exc)
        time.sleep(0.25)
    raise RuntimeError(
        f"{process.name} not ready after {timeout} s ({last}):\n{process.log_tail()}"
    )


def rss_tree(process: Managed) -> dict:
    """RSS in MB of the main process and of each child (gunicorn workers, Celery pool)."""
    main = psutil.Process(process.pid)
    children = main.children(recursive=True)

    def mb(p: psutil.Process) -> float | None:
        try:
            return round(p.memory_info().rss / 2**20, 1)
        except psutil.Error:
            return None

    kids = [m for m in (mb(c) for c in children) if m is not None]
    return {
        "main_mb": mb(main),
        "children_mb": kids,
        "max_child_mb": max(kids) if kids else None,
        "total_mb": round((mb(main) or 0) + sum(kids), 1),
    }


def cpu_seconds(process: Managed, database: str) -> dict[str, dict[int, float]]:
    """CPU seconds so far of each process serving the bench: the web server's (or worker's)
    tree, and the PostgreSQL backends connected to the bench database (by process title)."""

    def used(p: psutil.Process) -> float | None:
        try:
            times = p.cpu_times()
        except psutil.Error:
            return None
        return times.user + times.system

    main = psutil.Process(process.pid)
    web = {p.pid: used(p) for p in [main, *main.children(recursive=True)]}
    db = {}
    for p in psutil.process_iter(["name", "cmdline"]):
        title = " ".join(p.info["cmdline"] or [])
        if p.info["name"] == "postgres" and f" {database} " in f"{title} ":
            db[p.pid] = used(p)
    return {
        "web": {k: v for k, v in web.items() if v is not None},
        "db": {k: v for k, v in db.items() if v is not None},
    }


def cpu_ms_per_request(before: dict, after: dict, requests: int) -> dict[str, float | None]:
    """Milliseconds of CPU per request between two cpu_seconds() snapshots."""
    out = {}
    for side in ("web", "db"):
        spent = sum(v - before[side].get(pid, 0.0) for pid, v in after[side].items())
        out[side] = round(spent * 1000 / requests, 2) if requests else None
    return out


def busy_seconds() -> float:
    """CPU seconds the whole machine has spent on anything but idling, all cores together."""
    times = psutil.cpu_times()
    return sum(times) - times.idle - getattr(times, "iowait", 0.0)


def tree_seconds(process: Managed) -> float:
    """CPU seconds of a process and its children (those alive now)."""
    main = psutil.Process(process.pid)
    total = 0.0
    for p in [main, *main.children(recursive=True)]:
        with contextlib.suppress(psutil.Error):
            times = p.cpu_times()
            total += times.user + times.system
    return total


class Background:
    """How much CPU the machine spent on work that is not the benchmark's during a point.

    This machine may be shared (other test suites, browsers): a point whose neighbours took a
    core is not comparable with one where they were quiet, and the report says so.
    """

    def __init__(self, *, server: Managed, worker: Managed | None, database: str):
        self.server, self.worker, self.database = server, worker, database

    def _ours(self) -> float:
        snapshot = cpu_seconds(self.server, self.database)
        ours = sum(snapshot["web"].values()) + sum(snapshot["db"].values())
        times = psutil.Process().cpu_times()
        ours += times.user + times.system
        if self.worker is not None:
            ours += tree_seconds(self.worker)
        return ours

    def __enter__(self) -> Background:
        self.began = time.monotonic()
        self.busy, self.ours = busy_seconds(), self._ours()
        return self

    def __exit__(self, *exc) -> None:
        wall = time.monotonic() - self.began
        others = (busy_seconds() - self.busy) - (self._ours() - self.ours)
        self.cores = round(max(0.0, others) / wall, 2) if wall > 0 else None
