"""Can FIELD_ENCRYPTION_KEYS open every encrypted value? Asked after a restore, and after a
rotation before the old key is removed (docs/operations.md).

Each value is read from its column as stored and opened by the field itself, one row at a time,
so one row no key opens is counted and named instead of stopping the read of the rest.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db import models
from django.db.models import ExpressionWrapper, F

from intake.responses.fields import DecryptionError, encrypted_fields, needs_older_key

BATCH = 500


@dataclass(frozen=True)
class FieldKeys:
    field: str  # "intake.Response.answers"
    read: int  # values decrypted
    older_key: int  # of those, values only a key after the first opens (not yet rotated)
    unreadable: tuple[int, ...]  # primary keys of the rows no key opens
    # The earliest and latest time the unreadable values say they were encrypted at (unverified).
    unreadable_from: datetime | None = None
    unreadable_to: datetime | None = None


@dataclass(frozen=True)
class KeyCheck:
    fields: tuple[FieldKeys, ...]

    @property
    def read(self) -> int:
        return sum(field.read for field in self.fields)

    @property
    def unreadable(self) -> int:
        return sum(len(field.unreadable) for field in self.fields)

    @property
    def older_key(self) -> int:
        return sum(field.older_key for field in self.fields)


def _field_keys(field: models.Field) -> FieldKeys:
    # The column as stored: a plain JSONField reads it without decrypting.
    stored = ExpressionWrapper(F(field.attname), output_field=models.JSONField())
    rows = (
        field.model._base_manager.annotate(stored=stored)
        .order_by("pk")
        .values_list("pk", "stored")
        .iterator(chunk_size=BATCH)
    )
    read = older_key = 0
    unreadable, times = [], []
    for pk, value in rows:
        try:
            field.read_stored(value)
        except DecryptionError as exc:
            unreadable.append(pk)
            if exc.encrypted_at is not None:
                times.append(exc.encrypted_at)
            continue
        read += 1
        if needs_older_key(value):
            older_key += 1
    return FieldKeys(
        field=str(field),
        read=read,
        older_key=older_key,
        unreadable=tuple(unreadable),
        unreadable_from=min(times, default=None),
        unreadable_to=max(times, default=None),
    )


def field_keys_check() -> KeyCheck:
    """Read every value of every encrypted field with the configured keys. Writes nothing."""
    return KeyCheck(fields=tuple(_field_keys(field) for field in encrypted_fields()))
