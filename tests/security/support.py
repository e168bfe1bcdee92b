"""Helpers for the security tests: a submitted questionnaire without going through a browser."""

from intake.questionnaires.services import definition_for, questionnaire_default
from intake.responses.services import response_open, response_save_page, response_submit
from tests.portal_support import page_posts
from tests.vignette_answers import VIGNETTES


def submit_vignette(appointment, key: str, *, extra: dict | None = None):
    """Answer and send the questionnaire as the vignette's patient would, through the services.

    `extra` adds answers to the pages that hold those questions (free text, for instance).
    """
    response = response_open(appointment=appointment)
    definition = definition_for(questionnaire_default())
    extra = dict(extra or {})
    for page_id, data in page_posts(definition, VIGNETTES[key]["answers"]):
        page_items = definition.page_item_ids(page_id)
        data = {**data, **{k: v for k, v in extra.items() if k in page_items}}
        saved = response_save_page(response=response, page_id=page_id, raw=data)
        assert saved.ok, saved.errors
    submission = response_submit(response=response)
    assert not submission.missing_pages, submission.missing_pages
    return submission.response
