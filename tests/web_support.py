"""The production web stack for tests: gunicorn with production settings, and nginx in front of it
with the site file shipped in docs/deploy/ (only ports, paths and the upstream replaced).

Each runs in its own process group with its logs in the test's folder; `stop()` ends the group.
"""

import os
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
from contextlib import suppress
from pathlib import Path

import httpx
from django.conf import settings

from tests.fakes import free_port, wait_until

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "docs" / "deploy"
SITE_FILE = DEPLOY / "previsit.nginx.conf"
HOST = "previsit.clinic.example"
NGINX = os.environ.get("PREVISIT_NGINX") or shutil.which("nginx") or "/usr/sbin/nginx"


class Process:
    """One child in its own process group, its output in a log file."""

    def __init__(self, name: str, argv: list[str], *, env: dict | None, log_dir: Path):
        self.name, self.argv, self.env = name, argv, env
        self.log_path = Path(log_dir) / f"{name}.log"
        self.popen: subprocess.Popen | None = None

    def spawn(self) -> None:
        with open(self.log_path, "a") as log:
            self.popen = subprocess.Popen(
                self.argv,
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )

    def exited(self) -> bool:
        return self.popen is None or self.popen.poll() is not None

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def stop(self, timeout: float = 15) -> None:
        if self.popen is None:
            return
        for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5)):
            with suppress(ProcessLookupError):
                os.killpg(self.popen.pid, sig)
            try:
                self.popen.wait(timeout=wait)
                break
            except subprocess.TimeoutExpired:
                continue
        self.popen = None


def production_env(*, database: str, redis_url: str, static_root: Path, **extra: str) -> dict:
    """DJANGO_ENV=production as the README's "Deploying" sets it, behind one TLS proxy, with this
    test process's field keys (so rows the test writes and the server's read each other)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PREVISIT_"))}
    env.update(
        DJANGO_ENV="production",
        DJANGO_SETTINGS_MODULE="clinic.settings",
        SECRET_KEY=secrets.token_urlsafe(50),
        FIELD_ENCRYPTION_KEYS=",".join(settings.FIELD_ENCRYPTION_KEYS),
        ALLOWED_HOSTS=f"{HOST},127.0.0.1",
        CSRF_TRUSTED_ORIGINS=f"https://{HOST}",
        DATABASE_URL=database,
        REDIS_URL=redis_url,
        CELERY_BROKER_URL=redis_url,
        CACHE_KEY_PREFIX=f"previsit-test-{secrets.token_hex(4)}",
        SECURE_PROXY_SSL_HEADER_ENABLED="true",
        TRUSTED_PROXY_COUNT="1",
        STAFF_2FA_ROLES="",
        STATIC_ROOT=str(static_root),
        PYTHONUNBUFFERED="1",
        **extra,
    )
    return env


def collect_static(static_root: Path, env: dict) -> None:
    """Production serves the collected, hashed files (whitenoise's manifest): collect them once."""
    if (static_root / "staticfiles.json").exists():
        return
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=120,
    )


class Gunicorn(Process):
    """`gunicorn clinic.wsgi` as the README deploys it (sync workers), on a loopback port."""

    def __init__(self, *, env: dict, log_dir: Path, workers: int = 3):
        self.port = free_port()
        argv = [
            sys.executable, "-m", "gunicorn", "clinic.wsgi",
            "--workers", str(workers),
            "--timeout", "30",
            "--graceful-timeout", "5",
            "--bind", f"127.0.0.1:{self.port}",
        ]  # fmt: skip
        super().__init__("gunicorn", argv, env=env, log_dir=log_dir)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> "Gunicorn":
        self.spawn()
        wait_until(self._answers, timeout=timeout, interval=0.2, what="gunicorn serving /healthz")
        return self

    def _answers(self) -> bool:
        if self.exited():
            raise AssertionError(f"gunicorn exited:\n{self.log()[-3000:]}")
        try:
            httpx.get(
                f"http://{self.address}/healthz",
                headers={"Host": HOST, "X-Forwarded-Proto": "https"},
                timeout=2,
            )
        except httpx.HTTPError:
            return False
        return True


class Nginx(Process):
    """nginx running docs/deploy/previsit.nginx.conf, with a self-signed certificate."""

    # What the test replaces in the shipped site file; each must be there (else the file changed
    # and this harness with it).
    def __init__(self, *, upstream: str, folder: Path):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.http_port, self.https_port = free_port(), free_port()
        self.access_log = self.folder / "previsit-access.log"
        self.error_log = self.folder / "previsit-error.log"
        site = SITE_FILE.read_text()
        replacements = {
            "unix:/run/previsit/gunicorn.sock": upstream,
            "listen 80;": f"listen 127.0.0.1:{self.http_port};",
            "listen 443 ssl http2;": f"listen 127.0.0.1:{self.https_port} ssl http2;",
            "listen [::]:80;": "",
            "listen [::]:443 ssl http2;": "",
            "/etc/ssl/previsit/": f"{self.folder}/",
            "/var/log/nginx/": f"{self.folder}/",
            "/var/www/previsit": str(self.folder),
        }
        for old, new in replacements.items():
            assert old in site, f"{SITE_FILE.name} no longer has {old!r}: update tests/web_support"
            site = site.replace(old, new)
        (self.folder / "previsit.conf").write_text(site)
        shutil.copy(DEPLOY / "unavailable.html", self.folder / "unavailable.html")
        self._certificate()
        user = "user root;\n" if os.geteuid() == 0 else ""  # workers must read this folder
        (self.folder / "nginx.conf").write_text(
            f"{user}daemon off;\nworker_processes 1;\npid {self.folder}/nginx.pid;\n"
            f"error_log {self.folder}/main-error.log error;\n"
            "events { worker_connections 1024; }\n"
            f"http {{\n  include /etc/nginx/mime.types;\n  access_log off;\n"
            f"  client_body_temp_path {self.folder}/body;\n"
            f"  proxy_temp_path {self.folder}/proxy;\n"
            f"  include {self.folder}/previsit.conf;\n}}\n"
        )
        argv = [NGINX, "-p", str(self.folder), "-c", str(self.folder / "nginx.conf")]
        super().__init__("nginx", argv, env=None, log_dir=self.folder)

    def _certificate(self) -> None:
        subprocess.run(
            [
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "2",
                "-subj",
                f"/CN={HOST}",
                "-keyout",
                str(self.folder / "privkey.pem"),
                "-out",
                str(self.folder / "fullchain.pem"),
            ],  # fmt: skip
            check=True,
            capture_output=True,
            timeout=60,
        )

    def start(self, timeout: float = 20) -> "Nginx":
        check = subprocess.run([*self.argv, "-t"], capture_output=True, text=True, timeout=30)
        assert check.returncode == 0, f"nginx -t refused the site file:\n{check.stderr}"
        self.spawn()
        wait_until(self._listening, timeout=timeout, interval=0.1, what="nginx listening")
        return self

    def _listening(self) -> bool:
        if self.exited():
            raise AssertionError(f"nginx exited:\n{self.log()}")
        with socket.socket() as probe:
            probe.settimeout(1)
            return probe.connect_ex(("127.0.0.1", self.https_port)) == 0

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.https_port}"

    def client(self, **options) -> httpx.Client:
        """An HTTPS client for the site, as a browser on the clinic's host name would be."""
        return httpx.Client(
            base_url=self.url,
            headers={"Host": HOST, "Referer": f"https://{HOST}/"},
            verify=False,  # noqa: S501 (the test's own self-signed certificate)
            **options,
        )


def stall(
    address: tuple[str, int], *, count: int, tls: bool = False, send: str | None = None
) -> list[socket.socket]:
    """The slow-client attack: connections that send a request line and part of the headers
    (or what `send` says), then nothing, and stay open."""
    held = []
    for _ in range(count):
        raw = socket.create_connection(address, timeout=5)
        if tls:
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            raw = context.wrap_socket(raw, server_hostname=HOST)
        raw.sendall((send or f"GET /healthz HTTP/1.1\r\nHost: {HOST}\r\nX-Slow: ").encode())
        held.append(raw)
    return held
