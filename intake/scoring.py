"""Scores for the PHQ-2/PHQ-9 and GAD-2/GAD-7 screens.

Pure Python. Each item is scored 0 (not at all), 1 (several days), 2 (more than
half the days) or 3 (nearly every day); a total is the plain sum of its items.

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

PHQ2_ITEMS = ("phq9-1", "phq9-2")
PHQ9_ITEMS = tuple(f"phq9-{n}" for n in range(1, 10))
GAD2_ITEMS = ("gad7-1", "gad7-2")
GAD7_ITEMS = tuple(f"gad7-{n}" for n in range(1, 8))

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


def item_score(value: Any) -> int | None:
    """An item's score from its stored code ("0".."3") or an int already scored; None if absent."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str) and value.strip() in ("0", "1", "2", "3"):
        return int(value)
    if isinstance(value, int) and 0 <= value <= 3:
        return value
    if value == "":
        return None
    raise ValueError(f"not a PHQ/GAD item score: {value!r}")


def total(answers: Mapping[str, Any], items: tuple[str, ...]) -> int | None:
    """The sum of the items, or None unless every one is answered."""
    scores = [item_score(answers.get(link_id)) for link_id in items]
    if any(score is None for score in scores):
        return None
    return sum(scores)


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


def score_all(answers: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Scores of every instrument whose items are all answered.

    ``answers`` may hold the stored codes ("0".."3") or the int scores
    ``for_advice`` gives; totals already in it are ignored and worked out again.
    PHQ-2 and GAD-2 are screens, so they have no band (``None``).

    >>> score_all({"phq9-1": "1", "phq9-2": "2"})
    {'phq2': {'total': 3, 'band': None}}
    """
    scores: dict[str, dict[str, Any]] = {}
    if (phq2 := total(answers, PHQ2_ITEMS)) is not None:
        scores["phq2"] = {"total": phq2, "band": None}
    if (phq9 := total(answers, PHQ9_ITEMS)) is not None:
        scores["phq9"] = {
            "total": phq9,
            "band": phq9_band(phq9),
            "item9": item_score(answers["phq9-9"]),
        }
    if (gad2 := total(answers, GAD2_ITEMS)) is not None:
        scores["gad2"] = {"total": gad2, "band": None}
    if (gad7 := total(answers, GAD7_ITEMS)) is not None:
        scores["gad7"] = {"total": gad7, "band": gad7_band(gad7)}
    return scores
