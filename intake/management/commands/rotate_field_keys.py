"""Re-encrypt every stored answer with the first key in FIELD_ENCRYPTION_KEYS.

Rotation: put the new key first and keep the old one after it, deploy, run this, then remove
the old key (docs/security.md). Safe to run again; rows are rewritten one at a time.
"""

from django.core.management.base import BaseCommand

from intake.responses.models import Response


class Command(BaseCommand):
    help = "Re-encrypt stored answers with the first FIELD_ENCRYPTION_KEYS key."

    def handle(self, *args, **options):
        rewritten = 0
        for response in Response.objects.only("pk", "answers").order_by("pk").iterator(500):
            # The value was decrypted with whichever key fits; update() encrypts it with the
            # first key and leaves updated_at and the audit trail of the answers alone.
            Response.objects.filter(pk=response.pk).update(answers=response.answers)
            rewritten += 1
        self.stdout.write(f"Re-encrypted the answers of {rewritten} response(s).")
