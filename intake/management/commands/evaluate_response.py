"""Evaluate a FHIR QuestionnaireResponse exactly as the portal would, writing nothing."""

import json
import sys

from django.core.management.base import BaseCommand

from intake.questionnaires.fhir import FhirError, response_to_answers
from intake.questionnaires.models import Questionnaire
from intake.questionnaires.services import definition_for
from intake.responses.evaluation import evaluate_answers


class Command(BaseCommand):
    help = "Print triage, reasons, scores and handout for a QuestionnaireResponse JSON file (or -)."

    def add_arguments(self, parser):
        parser.add_argument("file", help="path, or - for standard input")
        parser.add_argument("--age", type=int, default=None, help="the patient's age in years")

    def fail(self, message: str):
        self.stderr.write(message)
        sys.exit(2)

    def handle(self, *args, file, age, **options):
        try:
            if file == "-":
                text = sys.stdin.read()
            else:
                with open(file, encoding="utf-8") as handle:
                    text = handle.read()
        except OSError as exc:
            self.fail(f"Can't read {file}: {exc.strerror}")
        try:
            resource = json.loads(text)
        except json.JSONDecodeError as exc:
            self.fail(f"Not valid JSON: {exc}")
        if not isinstance(resource, dict):
            self.fail("Not a FHIR QuestionnaireResponse: expected a JSON object.")
        canonical = str(resource.get("questionnaire", ""))
        url, _, version = canonical.partition("|")
        rows = Questionnaire.objects.filter(url=url)
        row = (
            rows.filter(version=version).first()
            if version
            else rows.order_by("-version_number").first()
        )
        if row is None:
            self.fail(f"Unknown questionnaire {canonical!r}: export_questionnaire prints the URL.")
        definition = definition_for(row)
        try:
            answers = response_to_answers(resource, definition)
        except FhirError as exc:
            self.fail(f"Invalid QuestionnaireResponse: {exc}")
        evaluation = evaluate_answers(definition=definition, answers=answers, age=age)
        handout = evaluation.handout
        output = {
            "triage": evaluation.triage.level.value,
            "reasons": [reason.to_dict() for reason in evaluation.triage.reasons],
            "scores": evaluation.scores,
            "handout": None
            if handout is None
            else {
                "topics": list(handout.topics),
                "title": handout.title,
                "markdown": handout.markdown,
                "reading_grade": handout.reading_grade,
            },
        }
        self.stdout.write(json.dumps(output, indent=2, ensure_ascii=False))
