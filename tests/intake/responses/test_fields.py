"""The answers are encrypted at rest, keys rotate, and a missing key fails loudly."""

import io

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import FieldError
from django.core.management import call_command
from django.db import connection

from intake.questionnaires.services import questionnaire_default
from intake.responses.fields import DecryptionError
from intake.responses.models import Response
from intake.responses.services import response_open
from tests.factories import AppointmentFactory

pytestmark = pytest.mark.django_db

SECRET = "I take my brother's warfarin sometimes"


def _raw(response) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT answers FROM intake_response WHERE id = %s", [response.pk])
        (value,) = cursor.fetchone()
    return value if isinstance(value, str) else str(value)


def _with_answers(answers: dict) -> Response:
    response = response_open(appointment=AppointmentFactory())
    response.answers = answers
    response.save()
    return response


def test_free_text_answers_are_not_readable_in_the_database(settings):
    response = _with_answers({"medicines": SECRET, "reason": ["headache"]})
    raw = _raw(response)
    assert "warfarin" not in raw and "headache" not in raw and "medicines" not in raw
    assert raw.strip('"').startswith("gAAAAA")  # a Fernet token, stored as a JSON string
    assert Response.objects.get(pk=response.pk).answers == {
        "medicines": SECRET,
        "reason": ["headache"],
    }


def test_bulk_writes_are_encrypted_too():
    questionnaire = questionnaire_default()
    (row,) = Response.objects.bulk_create(
        [
            Response(
                appointment=AppointmentFactory(),
                questionnaire=questionnaire,
                answers={"allergies": "penicillin: hives", "phq9-1": 2},
            )
        ]
    )
    assert "penicillin" not in _raw(row)
    assert Response.objects.get(pk=row.pk).answers == {
        "allergies": "penicillin: hives",
        "phq9-1": 2,
    }


def test_keys_rotate_the_first_encrypts_and_every_key_decrypts(settings):
    old_key = settings.FIELD_ENCRYPTION_KEYS[0]
    response = _with_answers({"medicines": SECRET})
    encrypted_with_old = _raw(response)
    new_key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new_key, old_key]
    assert Response.objects.get(pk=response.pk).answers["medicines"] == SECRET
    out = io.StringIO()
    call_command("rotate_field_keys", stdout=out)
    assert "1 response(s)" in out.getvalue()
    assert _raw(response) != encrypted_with_old
    settings.FIELD_ENCRYPTION_KEYS = [new_key]  # the old key can go now
    assert Response.objects.get(pk=response.pk).answers["medicines"] == SECRET


def test_a_value_no_key_can_open_fails_loudly_instead_of_showing_ciphertext(settings):
    response = _with_answers({"medicines": SECRET})
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(DecryptionError, match="rotate_field_keys"):
        Response.objects.get(pk=response.pk)


def test_rows_written_before_encryption_still_read():
    response = _with_answers({})
    with connection.cursor() as cursor:
        plain = '{"reason": ["cough"]}'
        cast = "%s::jsonb" if connection.vendor == "postgresql" else "%s"
        sql = f"UPDATE intake_response SET answers = {cast} WHERE id = %s"  # noqa: S608
        cursor.execute(sql, [plain, response.pk])
    assert Response.objects.get(pk=response.pk).answers == {"reason": ["cough"]}


def test_encrypted_answers_can_not_be_queried_by_key():
    with pytest.raises(FieldError, match="encrypted"):
        list(Response.objects.filter(answers__medicines="x"))
