"""Check or rewrite the generated rule table of docs/clinical-safety.md."""

from django.core.management.base import BaseCommand, CommandError

from advice.content_schema import Library
from advice.safety_case import DOCUMENT, with_table


class Command(BaseCommand):
    help = "Check that docs/clinical-safety.md lists every triage rule; --write rewrites it."

    def add_arguments(self, parser):
        parser.add_argument("--write", action="store_true", help="rewrite the table in place")

    def handle(self, *args, **options):
        current = DOCUMENT.read_text(encoding="utf-8")
        try:
            wanted = with_table(current, Library.from_directory())
        except ValueError as error:
            raise CommandError(str(error)) from None
        if options["write"]:
            DOCUMENT.write_text(wanted, encoding="utf-8")
            self.stdout.write(f"wrote {DOCUMENT}")
        elif wanted != current:
            raise CommandError(
                f"{DOCUMENT.name} is out of date with advice/content/: "
                "run python manage.py clinical_safety --write"
            )
        else:
            self.stdout.write(f"{DOCUMENT.name} lists every rule")
