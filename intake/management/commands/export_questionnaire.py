import json

from django.core.management.base import BaseCommand, CommandError

from intake.questionnaires.fhir import FhirError, validate_questionnaire
from intake.questionnaires.models import Questionnaire
from intake.questionnaires.services import DEFAULT_NAME, questionnaire_default


class Command(BaseCommand):
    help = "Print a questionnaire as FHIR R4 Questionnaire JSON (validated)."

    def add_arguments(self, parser):
        parser.add_argument("name", nargs="?", default=DEFAULT_NAME)
        parser.add_argument("--questionnaire-version", dest="qversion", default=None)

    def handle(self, *args, name, qversion, **options):
        if qversion:
            row = Questionnaire.objects.filter(name=name, version=qversion).first()
        elif name == DEFAULT_NAME:
            row = questionnaire_default()
        else:
            row = Questionnaire.objects.current(name)
        if row is None:
            raise CommandError(f"No questionnaire named {name!r}.")
        try:
            validate_questionnaire(row.definition)
        except FhirError as exc:
            raise CommandError(f"Stored questionnaire is not valid FHIR: {exc}") from None
        self.stdout.write(json.dumps(row.definition, indent=2, ensure_ascii=False))
