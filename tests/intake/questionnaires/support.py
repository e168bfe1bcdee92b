"""Small questionnaires for the engine's tests, built around the items under test."""

import json
from datetime import date
from functools import cache

from intake.questionnaires.definition import GENERAL_PREVISIT, Definition
from intake.questionnaires.items import ANSWER_SYSTEM

# The clinic's "today" in these tests: dates are checked against it.
TODAY = date(2025, 6, 15)


def coding(code):
    return {"system": ANSWER_SYSTEM, "code": code}


def make(*items, **top):
    """A one-page questionnaire around the given items."""
    return {
        "resourceType": "Questionnaire",
        "url": "http://previsit.local/fhir/Questionnaire/test",
        "version": "1",
        "status": "active",
        "item": [{"linkId": "page-1", "type": "group", "text": "Page one", "item": list(items)}],
        **top,
    }


def choice(link_id, codes, **extra):
    return {
        "linkId": link_id,
        "type": "choice",
        "text": f"Question {link_id}?",
        "answerOption": [{"valueCoding": {**coding(c), "display": c.title()}} for c in codes],
        **extra,
    }


def question(link_id, type_, **extra):
    return {"linkId": link_id, "type": type_, "text": f"Question {link_id}?", **extra}


def mood(phq=("0", "0"), gad=("0", "0"), **more):
    return {"phq9-1": phq[0], "phq9-2": phq[1], "gad7-1": gad[0], "gad7-2": gad[1], **more}


PHQ_REST = [f"phq9-{n}" for n in range(3, 10)]
GAD_REST = [f"gad7-{n}" for n in range(3, 8)]


@cache
def general_previsit() -> Definition:
    """The shipped general pre-visit questionnaire, parsed once for the whole test run."""
    return Definition.from_fhir(json.loads(GENERAL_PREVISIT.read_text(encoding="utf-8")))
