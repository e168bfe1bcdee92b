"""Encryption at rest for the patient's answers.

The answers hold free text (`reason-words`, `medicines`, `allergies`), so the whole document is
encrypted before it reaches the database. The crypto is pyca/cryptography's Fernet (AES-128-CBC
with an HMAC-SHA256, a random IV per value); `MultiFernet` gives key rotation: the first key in
FIELD_ENCRYPTION_KEYS encrypts, every key decrypts, and `manage.py rotate_field_keys` re-encrypts
the rows with the first key (docs/security.md, "Encryption at rest").

Why not django-fernet-encrypted-fields: its JSON field encrypts each leaf and turns every number
and boolean into a string (the scores would break), it derives its keys from SECRET_KEY, and it
hands back the ciphertext when a key is missing instead of failing. This field keeps the column
a JSON column holding one Fernet token as a JSON string, so the schema does not change.
"""

import functools
import json

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import FieldError, ImproperlyConfigured
from django.core.signals import setting_changed
from django.db import models


class DecryptionError(Exception):
    """A stored value no configured key can decrypt: a key was removed too early."""


@functools.cache
def _fernet() -> MultiFernet:
    keys = list(getattr(settings, "FIELD_ENCRYPTION_KEYS", []))
    if not keys:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS is empty")
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except ValueError as exc:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEYS must be Fernet keys (32 url-safe base64-encoded bytes); "
            "make one with: python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())'"
        ) from exc


def _reset(setting, **kwargs):
    if setting == "FIELD_ENCRYPTION_KEYS":
        _fernet.cache_clear()


setting_changed.connect(_reset)


def encrypt_json(value, *, encoder=None) -> str:
    """The token stored for `value` (also for writers that bypass the ORM, such as COPY)."""
    return _fernet().encrypt(json.dumps(value, cls=encoder).encode()).decode()


def decrypt_json(token: str, *, decoder=None):
    try:
        plain = _fernet().decrypt(token.encode())
    except InvalidToken:
        raise DecryptionError(
            "an encrypted value could not be decrypted with FIELD_ENCRYPTION_KEYS; "
            "was a key removed before `manage.py rotate_field_keys` ran?"
        ) from None
    return json.loads(plain, cls=decoder)


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
        value = super().from_db_value(value, expression, connection)
        if isinstance(value, str):
            return decrypt_json(value, decoder=self.decoder)
        return value

    def get_transform(self, name):
        raise FieldError(f"{self.name} is encrypted: its keys can't be used in a query")
