"""PHQ-2/PHQ-9 and GAD-2/GAD-7 scores and bands."""

import pytest

from intake.questionnaire import general_previsit
from intake.scoring import (
    GAD2_FOLLOW_UP_AT,
    GAD7_ITEMS,
    PHQ2_FOLLOW_UP_AT,
    PHQ9_ITEMS,
    gad7_band,
    item_score,
    phq9_band,
    score_all,
)


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


def answers_with(items, scores):
    return dict(zip(items, scores, strict=True))


def test_score_all_scores_every_fully_answered_instrument():
    answers = {
        **answers_with(PHQ9_ITEMS, ["1", "2", "1", "1", "2", "1", "1", "1", "1"]),
        **answers_with(GAD7_ITEMS, ["1", "1", "1", "1", "1", "1", "1"]),
    }
    assert score_all(answers) == {
        "phq2": {"total": 3, "band": None},
        "phq9": {"total": 11, "band": "moderate", "item9": 1},
        "gad2": {"total": 2, "band": None},
        "gad7": {"total": 7, "band": "mild"},
    }


def test_score_all_leaves_out_instruments_with_a_missing_item():
    answers = answers_with(PHQ9_ITEMS[:8], ["0"] * 8) | {"gad7-1": "3"}
    assert score_all(answers) == {"phq2": {"total": 0, "band": None}}
    assert score_all({}) == {}


def test_score_all_takes_the_int_scores_advice_receives():
    answers = answers_with(PHQ9_ITEMS, [3] * 9) | {"phq9-total": 1}  # a stale total is ignored
    assert score_all(answers)["phq9"] == {"total": 27, "band": "severe", "item9": 3}


def test_score_all_reads_the_questionnaires_own_answers():
    definition = general_previsit()
    answers = answers_with(PHQ9_ITEMS, ["2", "2", "1", "1", "1", "1", "1", "1", "2"])
    stored = definition.prune(answers)
    assert score_all(stored)["phq9"] == {"total": 12, "band": "moderate", "item9": 2}
    assert score_all(definition.for_advice(stored))["phq9"]["total"] == 12
    assert definition.for_advice(stored)["phq9-total"] == 12


@pytest.mark.parametrize("bad", ["4", "x", 7, -1, 1.5])
def test_a_score_that_is_not_0_to_3_is_an_error(bad):
    with pytest.raises(ValueError, match="not a PHQ/GAD item score"):
        item_score(bad)


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
