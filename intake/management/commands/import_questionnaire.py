import json

from django.core.management.base import BaseCommand, CommandError

from intake.questionnaires.fhir import FhirError
from intake.questionnaires.items import DefinitionError
from intake.questionnaires.services import questionnaire_import


class Command(BaseCommand):
    help = "Import a FHIR R4 Questionnaire JSON file (validated) as a new questionnaire version."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--draft", action="store_true", help="store without activating")

    def handle(self, *args, file, draft, **options):
        try:
            with open(file, encoding="utf-8") as handle:
                resource = json.load(handle)
        except OSError as exc:
            raise CommandError(f"Can't read {file}: {exc.strerror}") from None
        except json.JSONDecodeError as exc:
            raise CommandError(f"{file} is not valid JSON: {exc}") from None
        if not isinstance(resource, dict) or resource.get("resourceType") != "Questionnaire":
            raise CommandError(f"{file} is not a FHIR Questionnaire (resourceType).")
        try:
            row, created = questionnaire_import(resource=resource, activate=not draft)
        except (FhirError, DefinitionError, ValueError) as exc:
            raise CommandError(f"{file} was not imported: {exc}") from None
        verb = "Imported" if created else "Already up to date:"
        self.stdout.write(f"{verb} {row.title} version {row.version} ({row.get_status_display()})")
