"""Live patient-link tokens never reach a log: link scanners POST, PUT and OPTIONS links."""

import logging

import pytest
from django.test import Client

from clinic.logging_filters import redact
from intake.links.services import link_issue

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("method", ["post", "put", "options", "patch", "delete"])
def test_a_link_scanner_s_request_logs_no_token(appointment, console, method):
    _, token = link_issue(appointment=appointment)
    client = Client(enforce_csrf_checks=True)
    response = getattr(client, method)(f"/p/{token}/")
    assert response.status_code in (200, 403, 405)
    written = console.getvalue()
    assert token not in written
    if response.status_code in (403, 405):
        assert "/p/[token]/" in written


def test_a_server_error_on_a_link_path_logs_no_token(console):
    logger = logging.getLogger("django.request")
    logger.error("Internal Server Error: %s", "/p/abcDEF123_-xyz987654321/")
    written = console.getvalue()
    assert "abcDEF123_-xyz987654321" not in written and "/p/[token]/" in written


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Forbidden (CSRF cookie not set.): /p/Zx9_-abc/",
            "Forbidden (CSRF cookie not set.): /p/[token]/",
        ),
        ("Method Not Allowed (PUT): /p/Zx9_-abc/", "Method Not Allowed (PUT): /p/[token]/"),
        ('"GET /p/Zx9_-abc/?utm=1 HTTP/1.1" 302', '"GET /p/[token]/?utm=1 HTTP/1.1" 302'),
        (
            "/p/verify/ and /p/q/page-reason/ and /p/done/",
            "/p/verify/ and /p/q/page-reason/ and /p/done/",
        ),
        ("/p/handout/pdf/status/", "/p/handout/pdf/status/"),
    ],
)
def test_redaction_hides_tokens_and_keeps_the_portal_s_own_paths(text, expected):
    assert redact(text) == expected
