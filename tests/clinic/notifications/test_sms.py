"""The SMS channel's console backend."""

import io

import pytest

from clinic.notifications.sms import ConsoleSmsBackend

pytestmark = pytest.mark.django_db


def test_the_console_sms_backend_writes_to_its_stream():
    stream = io.StringIO()
    ConsoleSmsBackend(stream=stream).send(to="+1555", body="hello")
    assert "SMS to +1555:\nhello" in stream.getvalue()
