"""Scores for the PHQ-2/PHQ-9 and GAD-2/GAD-7 screens.

Pure Python. Each item is scored 0 (not at all), 1 (several days), 2 (more than
half the days) or 3 (nearly every day, the options' ordinalValue); a total is the plain
sum of its items, worked out by the questionnaire's calculated items.

Sources:

- PHQ-9: Kroenke K, Spitzer RL, Williams JBW. The PHQ-9: validity of a brief
  depression severity measure. J Gen Intern Med. 2001;16(9):606-613. Totals 5,
  10, 15 and 20 mark mild, moderate, moderately severe and severe depression.
- PHQ-2: Kroenke K, Spitzer RL, Williams JBW. The Patient Health
  Questionnaire-2: validity of a two-item depression screener. Med Care.
  2003;41(11):1284-1292. Proposed cut-off 3.
- PHQ-2 then PHQ-9: Levis B, Sun Y, He C, et al. Accuracy of the PHQ-2 alone and
  in combination with the PHQ-9 for screening to detect major depression:
  systematic review and meta-analysis. JAMA. 2020;323(22):2290-2300. A PHQ-2
  cut-off of 2 is more sensitive than 3; PHQ-2 >= 2 followed by the PHQ-9 found
  about as many cases as giving everyone the PHQ-9. Hence we ask the rest of
  the PHQ-9 from a PHQ-2 total of 2.
- GAD-7: Spitzer RL, Kroenke K, Williams JBW, Löwe B. A brief measure for
  assessing generalized anxiety disorder: the GAD-7. Arch Intern Med.
  2006;166(10):1092-1097. Totals 5, 10 and 15 mark mild, moderate and severe
  anxiety.
- GAD-2: Kroenke K, Spitzer RL, Williams JBW, Monahan PO, Löwe B. Anxiety
  disorders in primary care: prevalence, impairment, comorbidity, and
  detection. Ann Intern Med. 2007;146(5):317-325. Cut-off 3.

A band describes a score; it is not a diagnosis.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from intake.questionnaires.definition import Definition

# The totals from which the questionnaire asks the rest of the instrument
# (general-previsit.json's enableWhen on page-mood-more; tests keep them equal).
PHQ2_FOLLOW_UP_AT = 2  # Levis et al. 2020
GAD2_FOLLOW_UP_AT = 3  # Kroenke et al. 2007

# (lowest total, band), highest first
PHQ9_BANDS = (
    (20, "severe"),
    (15, "moderately severe"),
    (10, "moderate"),
    (5, "mild"),
    (0, "minimal"),
)
GAD7_BANDS = (
    (15, "severe"),
    (10, "moderate"),
    (5, "mild"),
    (0, "minimal"),
)


def _band(score: int, bands: tuple[tuple[int, str], ...], maximum: int) -> str:
    if not 0 <= score <= maximum:
        raise ValueError(f"total {score} is outside 0-{maximum}")
    return next(label for lowest, label in bands if score >= lowest)


def phq9_band(score: int) -> str:
    """0-4 minimal, 5-9 mild, 10-14 moderate, 15-19 moderately severe, 20-27 severe."""
    return _band(score, PHQ9_BANDS, 27)


def gad7_band(score: int) -> str:
    """0-4 minimal, 5-9 mild, 10-14 moderate, 15-21 severe."""
    return _band(score, GAD7_BANDS, 21)


# Each instrument's total is the questionnaire's own calculated item (its sum-of extension), so
# the questionnaire and the scores can't disagree about what is summed.
TOTALS = {"phq2": "phq2-total", "phq9": "phq9-total", "gad2": "gad2-total", "gad7": "gad7-total"}
BANDS = {"phq9": phq9_band, "gad7": gad7_band}
# PHQ-9 item 9 (thoughts of death or self-harm) is reported on its own, whatever the total.
PHQ9_ITEM9 = "phq9-9"


def score_all(definition: Definition, answers: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Scores of every instrument whose items are all answered and asked.

    PHQ-2 and GAD-2 are screens, so they have no band (``None``).
    """
    totals = definition.compute_totals(answers)
    scores: dict[str, dict[str, Any]] = {}
    for instrument, link_id in TOTALS.items():
        if link_id not in totals:
            continue
        total = int(totals[link_id])
        band = BANDS.get(instrument)
        scores[instrument] = {"total": total, "band": band(total) if band else None}
    if "phq9" in scores:
        scores["phq9"]["item9"] = definition.score(PHQ9_ITEM9, answers.get(PHQ9_ITEM9))
    return scores
