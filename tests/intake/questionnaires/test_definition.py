"""The definition's answers and pages: pruning, merging a page, progress."""

import copy

import pytest

from intake.questionnaires.definition import Definition
from tests.intake.questionnaires.support import (
    PHQ_REST,
    choice,
    make,
    mood,
    question,
)
from tests.portal_support import stored_answers
from tests.vignette_answers import VIGNETTES

# --------------------------------------------------------------------------- prune and pages


def test_prune_drops_answers_an_earlier_change_hides(definition):
    answers = {
        "reason": ["muscle-spasms"],
        "spasm-with": ["weakness"],
        "fever": True,
        "temperature": 39.1,
        "fever-with": ["stiff-neck"],
        **mood(phq=("2", "1")),
        **{link_id: "1" for link_id in PHQ_REST},
        "self-harm-plan": False,
        "unknown-item": "x",
        "phq2-total": 3,
    }
    changed = {**answers, "reason": ["headache"], "fever": False, "phq9-1": "0", "phq9-2": "0"}
    pruned = definition.prune(changed)
    assert "spasm-with" not in pruned
    assert "temperature" not in pruned and "fever-with" not in pruned
    assert not any(link_id in pruned for link_id in PHQ_REST)
    assert "self-harm-plan" not in pruned  # hidden because phq9-9 went too
    assert "unknown-item" not in pruned and "phq2-total" not in pruned
    assert pruned["reason"] == ["headache"] and pruned["phq9-1"] == "0"
    assert definition.prune(pruned) == pruned


def test_prune_does_not_change_its_input(definition):
    answers = {"reason": ["headache"], "spasm-where": ["legs"]}
    before = copy.deepcopy(answers)
    definition.prune(answers)
    assert answers == before


def test_with_page_replaces_a_page_and_prunes(definition):
    answers = {"reason": ["headache"], "fever": True, "temperature": 39.0, "since": "today"}
    merged = definition.with_page(answers, "page-symptoms", {"since": "1-3-days", "fever": False})
    assert merged == {"reason": ["headache"], "since": "1-3-days", "fever": False}


def test_visible_pages_skip_pages_with_nothing_to_ask(definition):
    visible = [p.link_id for p in definition.visible_pages({"reason": ["other"]})]
    assert "page-details" not in visible and "page-mood-more" not in visible
    visible = [p.link_id for p in definition.visible_pages({"reason": ["sleep"]})]
    assert "page-details" in visible


def test_first_unanswered_page_and_progress(definition):
    assert definition.first_unanswered_page({}).link_id == "page-reason"
    answers = {"reason": ["other"], "urgent-now": ["none"]}
    assert definition.first_unanswered_page(answers).link_id == "page-symptoms"
    answers |= {"since": "today", "severity": 2, "fever": False}
    answers |= {"phq9-1": "0", "phq9-2": "0", "gad7-1": "0", "gad7-2": "0"}
    answers |= {"medicine-classes": ["none"]}
    # Lifestyle is all optional: it is done once the patient has been through it.
    assert definition.first_unanswered_page(answers).link_id == "page-lifestyle"
    seen = [
        "page-reason",
        "page-urgent",
        "page-symptoms",
        "page-lifestyle",
        "page-health",
        "page-mood",
    ]
    assert definition.first_unanswered_page(answers, seen=seen) is None
    assert definition.incomplete_pages(answers) == []
    assert definition.incomplete_pages({"reason": ["other"]}) == [
        "page-urgent",
        "page-symptoms",
        "page-health",
        "page-mood",
    ]
    assert definition.page_progress("page-reason", answers) == (1, 6)
    assert definition.page_progress("page-mood", answers) == (6, 6)


def test_the_patients_own_words_are_free_text_and_typed_open_choice_answers():
    definition = Definition.from_fhir(
        make(
            question("words", "text"),
            question("name", "string"),
            {**choice("pet", ["cat", "dog"]), "type": "open-choice"},
            {**choice("food", ["rice", "bread"]), "type": "open-choice"},
            choice("colour", ["red", "blue"]),
        )
    )
    answers = {
        "words": "It hurts when I walk",
        "name": "Mo",
        "pet": "my neighbour's parrot",
        "food": "rice",
        "colour": "red",
        "stale-item": "kept from an old version",
    }
    assert definition.own_words(answers) == {"words", "name", "pet", "stale-item"}


@pytest.mark.parametrize("vignette", sorted(VIGNETTES))
def test_the_step_count_only_moves_forward_through_a_whole_visit(definition, vignette):
    """Each page's "Step N of M" as the patient meets it, answers saved page by page: N goes up by
    one, M never grows (it used to: "Step 1 of 7", then "Step 2 of 8"), and the review page,
    step M + 1 of the last page's count or fewer, still moves forward."""
    final = stored_answers(definition, VIGNETTES[vignette]["answers"])
    answers: dict = {}
    seen = []
    for page in definition.visible_pages(final):
        seen.append(definition.page_progress(page.link_id, answers))
        answers.update({q.link_id: final[q.link_id] for q in page.walk() if q.link_id in final})
    numbers = [progress.number for progress in seen]
    totals = [progress.total for progress in seen]
    assert numbers == list(range(1, len(seen) + 1)), numbers
    assert totals == sorted(totals, reverse=True), totals
    review_step, review_steps = len(seen) + 1, len(definition.visible_pages(final)) + 1
    assert review_step / review_steps >= seen[-1].number / (seen[-1].total + 1)
