"""PHQ-2/PHQ-9 and GAD-2/GAD-7 scores and bands."""

import pytest

from intake.questionnaires.scoring import (
    GAD2_FOLLOW_UP_AT,
    PHQ2_FOLLOW_UP_AT,
    gad7_band,
    phq9_band,
    score_all,
)
from tests.intake.questionnaires.support import general_previsit


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "minimal"),
        (4, "minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "moderately severe"),
        (19, "moderately severe"),
        (20, "severe"),
        (27, "severe"),
    ],
)
def test_phq9_bands_at_every_boundary(total, band):
    assert phq9_band(total) == band


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "minimal"),
        (4, "minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "severe"),
        (21, "severe"),
    ],
)
def test_gad7_bands_at_every_boundary(total, band):
    assert gad7_band(total) == band


@pytest.mark.parametrize(("band", "total"), [(phq9_band, -1), (phq9_band, 28), (gad7_band, 22)])
def test_totals_outside_the_scale_are_refused(band, total):
    with pytest.raises(ValueError, match="outside"):
        band(total)


PHQ9_ITEMS = tuple(f"phq9-{n}" for n in range(1, 10))
GAD7_ITEMS = tuple(f"gad7-{n}" for n in range(1, 8))


def answers_with(items, scores):
    return dict(zip(items, scores, strict=True))


def test_score_all_scores_every_fully_answered_instrument():
    answers = {
        **answers_with(PHQ9_ITEMS, ["1", "2", "1", "1", "2", "1", "1", "1", "1"]),
        **answers_with(GAD7_ITEMS, ["2", "2", "2", "2", "2", "2", "2"]),
    }
    assert score_all(general_previsit(), answers) == {
        "phq2": {"total": 3, "band": None},
        "phq9": {"total": 11, "band": "moderate", "item9": 1},
        "gad2": {"total": 4, "band": None},
        "gad7": {"total": 14, "band": "moderate"},
    }


def test_score_all_leaves_out_instruments_with_a_missing_item():
    answers = answers_with(PHQ9_ITEMS[:8], ["1"] * 8) | {"gad7-1": "3"}
    assert score_all(general_previsit(), answers) == {"phq2": {"total": 2, "band": None}}
    assert score_all(general_previsit(), {}) == {}


def test_items_the_questionnaire_did_not_ask_are_not_scored():
    # A GAD-2 of 2 is under the follow-up cut-off: GAD-7 items 3-7 are not asked, so even if
    # answers for them were somehow present, no GAD-7 total is made from them.
    answers = answers_with(GAD7_ITEMS, ["1"] * 7)
    assert score_all(general_previsit(), answers) == {"gad2": {"total": 2, "band": None}}


def test_the_totals_are_the_questionnaires_own_calculated_items():
    definition = general_previsit()
    answers = answers_with(PHQ9_ITEMS, ["2", "2", "1", "1", "1", "1", "1", "1", "2"])
    stored = definition.prune(answers)
    assert score_all(definition, stored)["phq9"] == {"total": 12, "band": "moderate", "item9": 2}
    assert definition.for_advice(stored)["phq9-total"] == 12
    # A total stored among the answers is never trusted: it is worked out again.
    assert score_all(definition, stored | {"phq9-total": 1})["phq9"]["total"] == 12


@pytest.mark.parametrize("bad", ["4", "x", ""])
def test_a_code_that_is_not_one_of_the_options_scores_nothing(bad):
    answers = {"phq9-1": bad, "phq9-2": "1"}
    assert "phq2" not in score_all(general_previsit(), answers)


def test_the_questionnaire_asks_the_rest_from_the_documented_cut_offs():
    definition = general_previsit()
    phq = definition.items_by_id["phq9-3"].enable_when
    gad = definition.items_by_id["gad7-3"].enable_when
    assert ("phq2-total", ">=", PHQ2_FOLLOW_UP_AT) in [
        (c.question, c.operator, c.answer) for c in phq
    ]
    assert [(c.question, c.operator, c.answer) for c in gad] == [
        ("gad2-total", ">=", GAD2_FOLLOW_UP_AT)
    ]
