"""The documented production web setup (docs/deploy/previsit.nginx.conf in front of gunicorn) under
the slow-client attack, and what its logs keep.

Real processes: gunicorn with production settings on the test database, Debian's nginx running
the shipped site file, a private Redis. Waits have deadlines; no timing is asserted beyond "it
answered before the client gave up".
"""

import time

import httpx
import pytest
from django.db import connections

from intake.links.services import link_issue
from tests.factories import AppointmentFactory
from tests.fakes import database_url, free_port
from tests.web_support import (
    HOST,
    Gunicorn,
    Nginx,
    collect_static,
    production_env,
    stall,
)

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

# A browser gives up on a page long before this; /healthz answers in milliseconds when free.
PATIENT_PATIENCE = 5


@pytest.fixture(scope="module")
def web_env(django_db_setup, redis_server, tmp_path_factory):
    static_root = tmp_path_factory.mktemp("static")
    env = production_env(
        database=database_url(connections["default"].settings_dict),
        redis_url=redis_server.url,
        static_root=static_root,
    )
    collect_static(static_root, env)
    return env


@pytest.fixture(scope="module")
def gunicorn(web_env, tmp_path_factory):
    server = Gunicorn(env=web_env, log_dir=tmp_path_factory.mktemp("gunicorn")).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def nginx(gunicorn, tmp_path_factory):
    proxy = Nginx(upstream=gunicorn.address, folder=tmp_path_factory.mktemp("nginx")).start()
    yield proxy
    proxy.stop()


def _close(sockets):
    for held in sockets:
        held.close()


def test_four_stalled_connections_freeze_bare_gunicorn(gunicorn):
    """The finding, reproduced: without the proxy, sync workers wait on half-sent requests."""
    held = stall(("127.0.0.1", gunicorn.port), count=4)
    try:
        with pytest.raises(httpx.TimeoutException):
            httpx.get(
                f"http://{gunicorn.address}/healthz",
                headers={"Host": HOST, "X-Forwarded-Proto": "https"},
                timeout=PATIENT_PATIENCE,
            )
    finally:
        _close(held)


def test_behind_the_shipped_nginx_two_hundred_stalled_connections_cost_patients_nothing(nginx):
    held = stall(("127.0.0.1", nginx.https_port), count=200, tls=True)
    try:
        with nginx.client(timeout=PATIENT_PATIENCE) as client:
            for _ in range(5):
                answer = client.get("/healthz")
                assert answer.status_code == 200, answer.text
                assert answer.json()["database"] == "ok"
    finally:
        _close(held)


def test_a_promised_body_never_sent_holds_nothing(nginx):
    """Requests whose body is trickled or never sent wait in nginx, not in a gunicorn worker."""
    body_promised = (
        f"POST /p/verify/ HTTP/1.1\r\nHost: {HOST}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        "Content-Length: 100000\r\n\r\nday=1"
    )
    held = stall(("127.0.0.1", nginx.https_port), count=6, tls=True, send=body_promised)
    try:
        with nginx.client(timeout=PATIENT_PATIENCE) as client:
            assert client.get("/healthz").status_code == 200
    finally:
        _close(held)


def test_http_is_sent_to_https_and_the_access_log_keeps_no_token_nor_query(nginx):
    _, token = link_issue(appointment=AppointmentFactory())
    plain = httpx.get(
        f"http://127.0.0.1:{nginx.http_port}/p/{token}/", headers={"Host": HOST}, timeout=5
    )
    assert plain.status_code == 301
    assert plain.headers["location"] == f"https://{HOST}/p/{token}/"
    with nginx.client(timeout=PATIENT_PATIENCE) as client:
        opened = client.get(f"/p/{token}/", follow_redirects=True)
        assert opened.status_code == 200 and "date of birth" in opened.text.lower()
        # What an email link scanner sends: refused by Django, logged by nginx.
        assert client.post(f"/p/{token}/").status_code in (403, 405)
        assert client.request("OPTIONS", f"/p/{token}/").status_code in (403, 405)
        client.get("/admin/records/patient/?q=Hernandez")
        client.get("/p/verify/")
    log = _read_when_written(nginx.access_log, lines=7)
    assert token not in log
    assert "Hernandez" not in log and "?q=" not in log
    assert log.count("/p/[token]/") == 4, log  # 301, 302, POST, OPTIONS
    assert '"GET /p/verify/"' in log
    assert '"GET /admin/records/patient/"' in log


def _read_when_written(path, *, lines: int, timeout: float = 5) -> str:
    deadline = time.monotonic() + timeout
    text = ""
    while time.monotonic() < deadline:
        text = path.read_text() if path.exists() else ""
        if len(text.splitlines()) >= lines:
            break
        time.sleep(0.05)
    return text


def test_while_gunicorn_is_down_patients_get_a_calm_page_and_no_log_holds_the_token(tmp_path):
    # An upstream address nothing listens on: what nginx meets during a restart or a crash.
    proxy = Nginx(upstream=f"127.0.0.1:{free_port()}", folder=tmp_path / "nginx").start()
    token = "A" * 32
    try:
        with proxy.client(timeout=PATIENT_PATIENCE) as client:
            answer = client.get(f"/p/{token}/")
    finally:
        proxy.stop()
    assert answer.status_code == 502
    assert "We will be back in a minute" in answer.text
    assert "911" in answer.text
    assert answer.headers["retry-after"] == "30"
    assert "<center>nginx</center>" not in answer.text  # not nginx's own error page
    for log in tmp_path.glob("nginx/*.log"):
        assert token not in log.read_text(), log.name
