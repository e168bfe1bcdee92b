"""Encryption at rest for the patient's answers.

The answers hold free text (`reason-words`, `medicines`, `allergies`), so the whole document is
encrypted before it reaches the database. The crypto is pyca/cryptography's Fernet (AES-128-CBC
with an HMAC-SHA256, a random IV per value); `MultiFernet` gives key rotation: the first key in
FIELD_ENCRYPTION_KEYS encrypts, every key decrypts, and `manage.py rotate_field_keys` re-encrypts
the rows with the first key (docs/security.md, "Encryption at rest"). A value no key opens
raises a DecryptionError that says its key is missing; `manage.py field_keys_check` finds every
such value (docs/operations.md: backups, restores and key escrow).

Why not django-fernet-encrypted-fields: its JSON field encrypts each leaf and turns every number
and boolean into a string (the scores would break), it derives its keys from SECRET_KEY, and it
hands back the ciphertext when a key is missing instead of failing. This field keeps the column
a JSON column holding one Fernet token as a JSON string, so the schema does not change.
"""

import base64
import binascii
import functools
import json
from datetime import UTC, datetime

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.apps import apps
from django.conf import settings
from django.core.exceptions import FieldError, ImproperlyConfigured
from django.core.signals import setting_changed
from django.db import models


class DecryptionError(Exception):
    """A stored value no configured key can decrypt: the key it was written with is missing
    (removed too early, or not restored with a backup), or the value was altered."""

    def __init__(self, message: str, *, encrypted_at: datetime | None = None):
        super().__init__(message)
        self.encrypted_at = encrypted_at


@functools.cache
def _fernets() -> tuple[Fernet, ...]:
    keys = list(getattr(settings, "FIELD_ENCRYPTION_KEYS", []))
    if not keys:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS is empty")
    try:
        return tuple(Fernet(key) for key in keys)
    except ValueError as exc:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEYS must be Fernet keys (32 url-safe base64-encoded bytes); "
            "make one with: python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())'"
        ) from exc


@functools.cache
def _fernet() -> MultiFernet:
    return MultiFernet(_fernets())


def _reset(setting, **kwargs):
    if setting == "FIELD_ENCRYPTION_KEYS":
        _fernets.cache_clear()
        _fernet.cache_clear()


setting_changed.connect(_reset)


def encrypt_json(value, *, encoder=None) -> str:
    """The token stored for `value` (also for writers that bypass the ORM, such as COPY)."""
    return _fernet().encrypt(json.dumps(value, cls=encoder).encode()).decode()


def token_time(token: str) -> datetime | None:
    """When a Fernet token says it was made. The time is in the clear (bytes 1-8), so it can be
    read without the key, and it is not verified: it only tells an operator which key was first
    in FIELD_ENCRYPTION_KEYS then. None for something that is not a Fernet token."""
    try:
        data = base64.urlsafe_b64decode(token)
        if len(data) < 9 or data[0] != 0x80:
            return None
        return datetime.fromtimestamp(int.from_bytes(data[1:9], "big"), tz=UTC)
    except (binascii.Error, ValueError, OverflowError, OSError):
        return None


def decrypt_json(token: str, *, decoder=None, source: str = "A stored value"):
    try:
        plain = _fernet().decrypt(token.encode())
    except InvalidToken:
        encrypted_at = token_time(token)
        when = (
            f" It says it was encrypted at {encrypted_at:%Y-%m-%d %H:%M} UTC: it needs the key "
            "that was first in FIELD_ENCRYPTION_KEYS then."
            if encrypted_at
            else ""
        )
        raise DecryptionError(
            f"{source} can't be decrypted: the key it was written with is missing from "
            f"FIELD_ENCRYPTION_KEYS (none of its {len(_fernets())} key(s) opens it, or the value "
            f"was altered).{when} Put that key back (from the key escrow, docs/operations.md) "
            "and run `python manage.py field_keys_check`; an old key may go only after "
            "`python manage.py rotate_field_keys` has re-encrypted every row.",
            encrypted_at=encrypted_at,
        ) from None
    return json.loads(plain, cls=decoder)


def needs_older_key(stored) -> bool:
    """True for a token the first key can't open: written before the last rotation, so a key
    after the first is still needed (or no key opens it, which reading it reports)."""
    if not isinstance(stored, str):
        return False  # stored before encryption: no key needed
    try:
        _fernets()[0].decrypt(stored.encode())
    except InvalidToken:
        return True
    return False


class EncryptedJSONField(models.JSONField):
    """A JSON document stored as one Fernet token. It can be read and written, not queried.

    A row written before encryption (a JSON object or array in the column) still reads; the
    migration that introduced this field encrypted every such row.
    """

    description = "A JSON object, encrypted at rest"

    def get_prep_value(self, value):
        if value is None:
            return None
        return encrypt_json(value, encoder=self.encoder)

    def from_db_value(self, value, expression, connection):
        return self.read_stored(super().from_db_value(value, expression, connection))

    def read_stored(self, stored):
        """The document for what the column holds (a token, or a document from before)."""
        if isinstance(stored, str):
            return decrypt_json(stored, decoder=self.decoder, source=str(self))
        return stored

    def get_transform(self, name):
        raise FieldError(f"{self.name} is encrypted: its keys can't be used in a query")


def encrypted_fields() -> list[EncryptedJSONField]:
    """Every model field, in every installed app, that stores its value encrypted."""
    return [
        field
        for model in apps.get_models()
        if not model._meta.proxy
        for field in model._meta.local_concrete_fields
        if isinstance(field, EncryptedJSONField)
    ]
