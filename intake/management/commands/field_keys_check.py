"""Read every encrypted value with FIELD_ENCRYPTION_KEYS; fail when any can't be decrypted.

Run after a restore, before starting the app, and after `rotate_field_keys` before removing the
old key (docs/operations.md). It writes nothing and prints counts and row ids, never a value.
"""

from django.core.management.base import BaseCommand, CommandError

from intake.responses.key_check import FieldKeys, field_keys_check

IDS_SHOWN = 10


def _unreadable(field: FieldKeys) -> str:
    ids = ", ".join(str(pk) for pk in field.unreadable[:IDS_SHOWN])
    more = len(field.unreadable) - IDS_SHOWN
    text = f"{field.field}, row(s) {ids}" + (f" and {more} more" if more > 0 else "")
    if field.unreadable_from is not None:
        first, last = (
            f"{at:%Y-%m-%d %H:%M} UTC" for at in (field.unreadable_from, field.unreadable_to)
        )
        span = first if first == last else f"between {first} and {last}"
        text += f", say they were encrypted {span}"
    return text


class Command(BaseCommand):
    help = "Check that FIELD_ENCRYPTION_KEYS decrypts every encrypted value (after a restore)."

    def handle(self, *args, **options):
        check = field_keys_check()
        for field in check.fields:
            self.stdout.write(
                f"{field.field}: {field.read} read, {len(field.unreadable)} could not be "
                f"decrypted, {field.older_key} still need a key after the first."
            )
        if check.unreadable:
            where = "; ".join(_unreadable(field) for field in check.fields if field.unreadable)
            raise CommandError(
                f"{check.unreadable} of {check.read + check.unreadable} encrypted value(s) could "
                "not be decrypted: the key they were written with is missing from "
                f"FIELD_ENCRYPTION_KEYS. {where}. Put that key back in FIELD_ENCRYPTION_KEYS "
                "(from the key escrow, docs/operations.md) and run field_keys_check again; "
                "don't start the app until it passes."
            )
        self.stdout.write(
            f"Read {check.read} encrypted value(s): every one decrypts with FIELD_ENCRYPTION_KEYS."
        )
        if check.older_key:
            self.stdout.write(
                f"{check.older_key} need a key after the first: run "
                "`python manage.py rotate_field_keys` before removing any key."
            )
