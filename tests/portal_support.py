"""Helpers that turn the vignettes into what the portal and FHIR clients send."""

from datetime import UTC, datetime

from intake.questionnaires.definition import Definition
from intake.questionnaires.fhir import answers_to_response
from tests.vignette_answers import VIGNETTES

TOTALS = ("phq2-total", "phq9-total", "gad2-total", "gad7-total")


def stored_answers(definition: Definition, advice_answers: dict) -> dict:
    """Advice-format answers (scores as ints, totals present) as the portal stores them."""
    answers = {}
    for link_id, value in advice_answers.items():
        if link_id in TOTALS:
            continue
        item = definition.items_by_id[link_id]
        answers[link_id] = str(value) if item.scored else value
    return answers


def questionnaire_response(definition: Definition, case_id: str) -> dict:
    answers = stored_answers(definition, VIGNETTES[case_id]["answers"])
    return answers_to_response(
        answers, definition, status="completed", authored=datetime(2026, 11, 26, tzinfo=UTC)
    )


def page_posts(definition: Definition, advice_answers: dict) -> list[tuple[str, dict]]:
    """(page id, form data) for every page the patient would see, in order."""
    answers = stored_answers(definition, advice_answers)
    posts = []
    for page in definition.visible_pages(answers):
        data = {}
        for item in definition.page_questions(page.link_id):
            if item.link_id not in answers:
                continue
            value = answers[item.link_id]
            if isinstance(value, bool):
                data[item.link_id] = "true" if value else "false"
            elif isinstance(value, list):
                data[item.link_id] = [str(v) for v in value]
            else:
                data[item.link_id] = str(value)
        posts.append((page.link_id, data))
    return posts
