"""A value whose key is missing fails readably, and field_keys_check finds every such value."""

import io
from datetime import timedelta

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command
from django.utils import timezone

from intake.responses.fields import DecryptionError, token_time
from intake.responses.models import Response
from intake.responses.services import response_open
from tests.factories import AppointmentFactory

pytestmark = pytest.mark.django_db

SECRET = "I take my brother's warfarin sometimes"


def _with_answers(answers: dict) -> Response:
    response = response_open(appointment=AppointmentFactory())
    response.answers = answers
    response.save()
    return response


def _new_key() -> str:
    return Fernet.generate_key().decode()


def _check() -> str:
    out = io.StringIO()
    call_command("field_keys_check", stdout=out)
    return out.getvalue()


def test_a_value_whose_key_is_missing_says_so_names_the_setting_and_the_field(settings):
    response = _with_answers({"medicines": SECRET})
    settings.FIELD_ENCRYPTION_KEYS = [_new_key(), _new_key()]
    with pytest.raises(DecryptionError) as caught:
        Response.objects.get(pk=response.pk)
    message = str(caught.value)
    assert message.startswith("intake.Response.answers can't be decrypted: ")
    assert "the key it was written with is missing from FIELD_ENCRYPTION_KEYS" in message
    assert "none of its 2 key(s) opens it" in message
    assert "python manage.py field_keys_check" in message
    # When it was encrypted, to find the key in the escrow: the token's own time, about now.
    assert abs(caught.value.encrypted_at - timezone.now()) < timedelta(minutes=1)
    assert f"{caught.value.encrypted_at:%Y-%m-%d %H:%M} UTC" in message
    # No cryptography traceback underneath, and nothing of the value in the message.
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
    assert "warfarin" not in message and "gAAAA" not in message


def test_a_token_tells_when_it_was_made_without_a_key():
    assert token_time("not a token") is None
    assert token_time("") is None
    made = Fernet(_new_key()).encrypt(b"{}").decode()
    assert abs(token_time(made) - timezone.now()) < timedelta(minutes=1)


def test_field_keys_check_reads_every_value_and_counts_those_an_older_key_still_opens(settings):
    _with_answers({"medicines": SECRET})
    _with_answers({"allergies": "penicillin"})
    out = _check()
    assert "intake.Response.answers: 2 read, 0 could not be decrypted, 0 still need" in out
    assert "Read 2 encrypted value(s): every one decrypts with FIELD_ENCRYPTION_KEYS." in out

    settings.FIELD_ENCRYPTION_KEYS = [_new_key(), *settings.FIELD_ENCRYPTION_KEYS]
    out = _check()
    assert "2 read, 0 could not be decrypted, 2 still need a key after the first" in out
    assert "run `python manage.py rotate_field_keys` before removing any key" in out

    call_command("rotate_field_keys", stdout=io.StringIO())
    assert "2 read, 0 could not be decrypted, 0 still need a key after the first" in _check()


def test_field_keys_check_fails_naming_the_rows_no_key_opens_and_reads_the_rest(settings):
    lost = _with_answers({"medicines": SECRET})
    settings.FIELD_ENCRYPTION_KEYS = [_new_key()]  # the old key removed before rotating
    _with_answers({"allergies": "penicillin"})
    out = io.StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("field_keys_check", stdout=out)
    assert "intake.Response.answers: 1 read, 1 could not be decrypted" in out.getvalue()
    message = str(caught.value)
    assert message.startswith("1 of 2 encrypted value(s) could not be decrypted: ")
    assert "the key they were written with is missing from FIELD_ENCRYPTION_KEYS" in message
    assert f"intake.Response.answers, row(s) {lost.pk}, say they were encrypted " in message
    assert "warfarin" not in message + out.getvalue()
