"""Real parts for the notification tests and the benchmark: an SMTP server, a webhook receiver,
a private Redis, and Celery workers in their own processes.

Nothing here stands in for our own code: email goes through Django's SMTP backend to a real SMTP
server on this machine, webhooks through a real HTTP connection, tasks through a real Redis.
"""

import asyncio
import email
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from functools import cached_property
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import redis
from aiosmtpd.controller import Controller

ROOT = Path(__file__).resolve().parents[1]
CELERY = ROOT / ".venv" / "bin" / "celery"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate, *, timeout: float, interval: float = 0.05, what: str = "condition"):
    """Poll until `predicate()` is truthy; fail after `timeout` seconds. Returns its value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


# --- SMTP -------------------------------------------------------------------------------------


MESSAGE_ID = re.compile(rb"^Message-ID:\s*(<[^>\r\n]+>)", re.IGNORECASE | re.MULTILINE)


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes
    at: float  # time.time() when the server accepted it
    message_id: str  # read from the headers on arrival; the rest is parsed only when asked

    @cached_property
    def message(self) -> email.message.Message:
        return email.message_from_bytes(self.raw)

    @property
    def subject(self) -> str:
        return self.message["Subject"]

    def parts(self) -> list[str]:
        """The decoded text and HTML bodies."""
        bodies = []
        for part in self.message.walk():
            if part.get_content_maintype() == "text":
                bodies.append(part.get_payload(decode=True).decode())
        return bodies

    def everything(self) -> str:
        return "\n".join([self.subject, *self.parts()])


@dataclass
class _SmtpState:
    received: list[Received] = field(default_factory=list)
    data_commands: int = 0
    refusals: int = 0
    refusal: str = "451 4.3.0 Try again later"
    stall_next: bool = False
    delay: float = 0.0
    down_until: float = 0.0  # time.monotonic(): every DATA before it is refused


class SmtpRecorder:
    """A real SMTP server on 127.0.0.1 that keeps what it accepts.

    It can refuse on purpose (`refuse(2)`: the next two DATA commands get "451 4.3.0 Try again
    later", or the reply given) and stall on purpose (`stall_next()`: the next DATA waits,
    holding the sender inside its delivery, until `release()`; that message is then refused,
    never accepted).
    """

    def __init__(self):
        self.port = free_port()
        self._lock = threading.Lock()
        self._state = _SmtpState()
        self.stalled = threading.Event()
        self._released = threading.Event()
        self._controller = Controller(
            self, hostname="127.0.0.1", port=self.port, server_hostname="smtp.test.invalid"
        )

    # aiosmtpd handler hook
    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        with self._lock:
            self._state.data_commands += 1
            refuse = self._state.refusal if self._state.refusals > 0 else None
            if refuse:
                self._state.refusals -= 1
            elif time.monotonic() < self._state.down_until:
                refuse = "451 4.3.0 Service temporarily unavailable"
            stall = self._state.stall_next
            self._state.stall_next = False
            delay = self._state.delay
        if refuse:
            return refuse
        if stall:
            self.stalled.set()
            deadline = time.monotonic() + 60
            while not self._released.is_set() and time.monotonic() < deadline:
                await asyncio.sleep(0.02)
            return "451 4.3.0 The sender went away"
        if delay:
            await asyncio.sleep(delay)
        at = time.time()
        raw = envelope.original_content or envelope.content
        found = MESSAGE_ID.search(raw.split(b"\r\n\r\n", 1)[0])
        received = Received(
            envelope.mail_from,
            list(envelope.rcpt_tos),
            raw,
            at,
            found.group(1).decode() if found else "",
        )
        with self._lock:
            self._state.received.append(received)
        return "250 2.0.0 OK"

    def start(self) -> "SmtpRecorder":
        self._controller.start()
        return self

    def stop(self) -> None:
        self._released.set()
        self._controller.stop()

    def refuse(self, times: int, reply: str = "451 4.3.0 Try again later") -> None:
        with self._lock:
            self._state.refusals = times
            self._state.refusal = reply

    def refuse_for(self, seconds: float) -> None:
        """An outage: every DATA command for the next `seconds` gets a 451."""
        with self._lock:
            self._state.down_until = time.monotonic() + seconds

    def stall_next(self) -> None:
        with self._lock:
            self._state.stall_next = True

    def release(self) -> None:
        self._released.set()

    def slow_down(self, seconds: float) -> None:
        with self._lock:
            self._state.delay = seconds

    @property
    def received(self) -> list[Received]:
        with self._lock:
            return list(self._state.received)

    def count(self) -> int:
        with self._lock:
            return len(self._state.received)

    @property
    def data_commands(self) -> int:
        with self._lock:
            return self._state.data_commands

    def email_settings(self) -> dict:
        """Django settings (and environment variables) that send mail here."""
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": self.port,
            "EMAIL_USE_TLS": False,
            "EMAIL_HOST_USER": "",
            "EMAIL_HOST_PASSWORD": "",
            "EMAIL_TIMEOUT": 5,
        }


@contextmanager
def smtp_server():
    recorder = SmtpRecorder().start()
    try:
        yield recorder
    finally:
        recorder.stop()


# --- Webhooks ---------------------------------------------------------------------------------


@dataclass
class Hook:
    path: str
    headers: dict
    body: bytes


class WebhookReceiver:
    """A real HTTP server on 127.0.0.1 that records each POST and answers with chosen statuses."""

    def __init__(self):
        self.hooks: list[Hook] = []
        self.statuses: list[int] = []  # answered in order; 200 once used up
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                receiver.hooks.append(Hook(self.path, dict(self.headers), body))
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hooks/previsit"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> "WebhookReceiver":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


# --- Redis ------------------------------------------------------------------------------------


class RedisServer:
    """A private redis-server on its own port: it can be stopped without touching anyone else's."""

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._process: subprocess.Popen | None = None

    def start(self, timeout: float = 10) -> "RedisServer":
        self._process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(self._answers, timeout=timeout, what=f"redis-server on port {self.port}")
        return self

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def _answers(self) -> bool:
        try:
            return bool(self.client().ping())
        except redis.exceptions.ConnectionError:
            return False

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout=5)
            self._process = None

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url, socket_connect_timeout=2, socket_timeout=5)

    def queued(self, queue: str = "notifications") -> int:
        """Messages waiting in a queue (kombu keeps one list per priority step)."""
        client = self.client()
        return sum(client.llen(key) for key in client.scan_iter(match=f"{queue}*"))

    def unacked(self) -> int:
        """Messages a worker took but has not acknowledged."""
        return self.client().hlen("unacked")

    def redeliver_unacked(self) -> None:
        """What Redis does after the visibility timeout: unacknowledged messages go back to their
        queue. Done now with kombu's own restore, instead of waiting the two hours."""
        from kombu import Connection

        with Connection(self.url, transport_options={"visibility_timeout": 0}) as connection:
            connection.default_channel.qos.restore_visible(num=1000)


class PostgresServer:
    """A private PostgreSQL cluster (initdb in a folder of its own, on its own port): it can be
    restarted under load without touching the machine's server or anyone's test database."""

    BIN = (
        Path("/usr/lib/postgresql") / sorted(os.listdir("/usr/lib/postgresql"))[-1] / "bin"
        if os.path.isdir("/usr/lib/postgresql")
        else Path("/usr/bin")
    )

    def __init__(self):
        self.port = free_port()
        # Not under pytest's folders: those are private to root, and the server runs as postgres.
        self.folder = Path(tempfile.mkdtemp(prefix="previsit-pg-"))
        self.data = self.folder / "data"
        self._as_postgres = os.geteuid() == 0  # PostgreSQL refuses to run as root
        if self._as_postgres:
            shutil.chown(self.folder, "postgres", "postgres")

    def _run(self, *argv: str, timeout: float = 60) -> None:
        command = [str(self.BIN / argv[0]), *argv[1:]]
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        if done.returncode:
            raise AssertionError(f"{' '.join(argv[:2])} failed:\n{done.stdout}{done.stderr}")

    def start(self) -> "PostgresServer":
        if not self.data.exists():
            self._run(
                "initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8"
            )
        self._pg_ctl("start", "-w")
        return self

    def _pg_ctl(self, action: str, *extra: str) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            "pg_ctl", action, "-D", str(self.data), "-o", options,
            "-l", str(self.folder / "server.log"), *extra,
        )  # fmt: skip

    def restart(self, *, down_for: float = 0) -> None:
        """A fast shutdown (every connection cut, open transactions rolled back), `down_for`
        seconds with nothing listening, then start again."""
        self._pg_ctl("stop", "-m", "fast", "-w")
        time.sleep(down_for)
        self._pg_ctl("start", "-w")

    def stop(self) -> None:
        if self.data.exists():
            with suppress(AssertionError):
                self._pg_ctl("stop", "-m", "immediate", "-w")
        shutil.rmtree(self.folder, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def copy_database(self, source_url: str, name: str) -> str:
        """A new database here holding what `source_url`'s holds (pg_dump | psql)."""
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name)
        dump = subprocess.run(
            ["pg_dump", "--no-owner", "--no-privileges", source_url],
            capture_output=True,
            check=True,
            timeout=120,
        )
        subprocess.run(
            ["psql", "-q", "-v", "ON_ERROR_STOP=1", self.url(name)],
            input=dump.stdout,
            capture_output=True,
            check=True,
            timeout=120,
        )
        return self.url(name)


@contextmanager
def celery_broker(url: str):
    """Point this process's Celery app (what `delay` publishes with) at another broker."""
    from kombu import pools

    from clinic.celery import app

    def reset():
        # Celery keeps its connections in kombu's process-wide pools, keyed by URL.
        pools.reset()
        app._pool = None
        app.amqp._producer_pool = None

    saved = app.conf.broker_url
    reset()
    app.conf.broker_url = url
    try:
        yield app
    finally:
        reset()
        app.conf.broker_url = saved


# --- Celery workers ---------------------------------------------------------------------------


def database_url(settings_dict: dict) -> str:
    """A DATABASE_URL for the database Django is using now (the test database in tests)."""
    user = settings_dict.get("USER") or "postgres"
    password = settings_dict.get("PASSWORD") or ""
    credentials = f"{user}:{password}" if password else user
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 5432
    return f"postgres://{credentials}@{host}:{port}/{settings_dict['NAME']}"


class Worker:
    """`celery -A clinic worker` in its own process group, as it runs in production."""

    def __init__(
        self,
        *,
        broker_url: str,
        database: str,
        smtp: SmtpRecorder,
        log_dir: Path,
        queue: str = "notifications",
        concurrency: int = 1,
        extra_env: dict | None = None,
    ):
        self.name = f"notify-{uuid.uuid4().hex[:8]}"
        self.log_path = Path(log_dir) / f"{self.name}.log"
        self.queue = queue
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("EMAIL_", "CELERY_", "NOTIFICATION_", "PYTEST", "DJANGO_"))
        }
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": "clinic.settings",
                "DJANGO_ENV": "development",
                "DEBUG": "false",
                "DATABASE_URL": database,
                "CONN_MAX_AGE": "0",
                "REDIS_URL": broker_url,
                "CELERY_BROKER_URL": broker_url,
                "CELERY_NOTIFICATION_QUEUE": queue,
                "NOTIFICATION_RETRY_BASE_SECONDS": "1",
                "LOG_LEVEL": "INFO",
                **{key: str(value) for key, value in smtp.email_settings().items()},
                **(extra_env or {}),
            }
        )
        self._env = env
        self._concurrency = concurrency
        self._process: subprocess.Popen | None = None

    def start(self, timeout: float = 40) -> "Worker":
        self._log = open(self.log_path, "w")  # noqa: SIM115 (closed in stop/kill)
        self._process = subprocess.Popen(
            [
                str(CELERY),
                "-A",
                "clinic",
                "worker",
                "-Q",
                self.queue,
                "-c",
                str(self._concurrency),
                "--pool=prefork",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-n",
                f"{self.name}@%h",
                "--loglevel=INFO",
            ],
            cwd=ROOT,
            env=self._env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_until(self._ready, timeout=timeout, interval=0.1, what=f"worker {self.name} ready")
        return self

    def _ready(self) -> bool:
        if self._process.poll() is not None:
            raise AssertionError(f"worker exited early:\n{self.log()}")
        return " ready." in self.log()

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def kill(self) -> None:
        """SIGKILL to the main process and its pool children at once: nothing can clean up."""
        if self._process is None:
            return
        with suppress(ProcessLookupError):
            os.killpg(self._process.pid, signal.SIGKILL)
        self._process.wait(timeout=10)
        self._process = None
        self._log.close()

    def stop(self, timeout: float = 15) -> None:
        if self._process is None:
            return
        with suppress(ProcessLookupError):
            os.killpg(self._process.pid, signal.SIGTERM)
        try:
            self._process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with suppress(ProcessLookupError):
                os.killpg(self._process.pid, signal.SIGKILL)
            self._process.wait(timeout=5)
        self._process = None
        self._log.close()


def message_ids(received: list[Received]) -> list[str]:
    return [item.message_id for item in received]


def decode_webhook(hook: Hook) -> dict:
    return json.loads(hook.body)
