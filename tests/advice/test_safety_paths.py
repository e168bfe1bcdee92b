"""Unsafe paths found in the clinical review (issue: clinical coverage), on the real content.

Each case failed before its fix: it came out one level too low, or a skipped answer hid it.
"""

import pytest

from advice import Library, TriageLevel, evaluate, triage
from tests.advice.support import CONTEXT

CALM = {"urgent-now": ["none"], "fever": False, "severity": 4, "since": "1-3-days"}


def run(answers, age=None):
    return triage({**CALM, **answers}, age=age, library=Library.from_directory(), context=CONTEXT)


@pytest.mark.parametrize("side", ["one", None])
def test_a_painful_swollen_leg_is_a_possible_clot_when_the_side_is_one_or_skipped(side):
    answers = {"reason": ["leg-swelling"], "leg-swelling-with": ["painful"]}
    if side is not None:
        answers["leg-swelling-side"] = side
    result = run(answers)
    assert result.level is TriageLevel.URGENT
    assert result.rules_fired == ("leg-clot",)


def test_both_legs_swollen_is_not_read_as_a_one_leg_clot():
    result = run(
        {"reason": ["leg-swelling"], "leg-swelling-side": "both", "leg-swelling-with": ["painful"]}
    )
    assert "leg-clot" not in result.rules_fired


def test_a_hot_swollen_joint_is_urgent_without_a_fever():
    # V31: woman, 47, red, hot, swollen ankle since yesterday, no injury, no fever.
    result = run(
        {"reason": ["joint-pain"], "joint-where": ["ankle-foot"], "joint-with": ["hot-swollen"]}
    )
    assert result.level is TriageLevel.URGENT
    assert result.rules_fired == ("joint-hot-swollen",)
    assert "today" in result.reasons[0].act


def test_a_hot_swollen_joint_with_fever_gets_one_instruction_not_two():
    result = run(
        {
            "reason": ["joint-pain"],
            "joint-with": ["hot-swollen"],
            "fever": True,
            "temperature": 38.3,
            "fever-with": ["none"],
        }
    )
    assert result.level is TriageLevel.URGENT
    assert result.rules_fired == ("joint-hot-fever",)


def test_a_joint_that_is_only_stiff_is_not_flagged():
    assert run({"reason": ["joint-pain"], "joint-with": ["stairs"]}).rules_fired == ()


def test_not_able_to_pass_urine_is_an_emergency():
    result = run({"reason": ["urinary"], "urinary-with": ["cannot-pass"]}, age=70)
    assert result.level is TriageLevel.EMERGENCY
    assert result.rules_fired == ("u-cannot-pass",)
    assert "Call 911" in result.reasons[0].act


def test_a_headache_since_a_head_injury_is_an_emergency():
    result = run({"reason": ["headache"], "headache-with": ["head-injury"]})
    assert result.level is TriageLevel.EMERGENCY
    assert result.rules_fired == ("headache-head-injury",)


def test_a_headache_with_sight_changes_and_no_injury_stays_urgent():
    result = run({"reason": ["headache"], "headache-with": ["vision"]})
    assert result.level is TriageLevel.URGENT
    assert result.rules_fired == ("headache-vision",)


@pytest.mark.parametrize("symptom", ["chest-pain", "confusion"])
def test_a_very_high_blood_pressure_with_chest_pain_or_confusion_on_the_checklist_is_an_emergency(
    symptom,
):
    result = run(
        {
            "reason": ["blood-pressure"],
            "urgent-now": [symptom],
            "bp-systolic": 186,
            "bp-diastolic": 104,
            "bp-with": ["none"],
        }
    )
    assert result.level is TriageLevel.EMERGENCY
    assert "bp-crisis-symptoms" in result.rules_fired
    assert "bp-crisis" not in result.rules_fired


def test_a_very_high_blood_pressure_alone_stays_urgent():
    result = run(
        {"reason": ["blood-pressure"], "bp-systolic": 184, "bp-diastolic": 100, "bp-with": ["none"]}
    )
    assert result.level is TriageLevel.URGENT
    assert result.rules_fired == ("bp-crisis",)


def test_the_headache_handout_gives_one_instruction_for_a_headache_after_a_head_injury():
    evaluation = evaluate(
        {**CALM, "reason": ["headache"], "headache-with": ["head-injury"]},
        library=Library.from_directory(),
        context=CONTEXT,
    )
    text = evaluation.handout.plain_text
    assert "today if you get a headache after a head injury" not in text
    assert "Call 911 if you get a headache after a head injury." in text


def test_an_older_patient_with_lung_disease_and_a_fever_is_not_told_it_fits_a_cold():
    answers = {
        **CALM,
        "reason": ["cough-cold"],
        "cough-with": ["none"],
        "fever": True,
        "temperature": 38.9,
        "fever-with": ["none"],
        "conditions": ["lung"],
    }
    evaluation = evaluate(answers, age=80, library=Library.from_directory(), context=CONTEXT)
    assert evaluation.triage.level is TriageLevel.URGENT
    assert "fever-at-risk" in evaluation.triage.rules_fired
    assert "fits a common cold" not in evaluation.handout.plain_text


@pytest.mark.parametrize(
    ("age", "conditions", "fires"),
    [(80, ["none"], True), (66, ["heart"], True), (66, ["none"], False), (40, ["lung"], False)],
)
def test_a_fever_is_urgent_for_the_old_and_the_chronically_ill(age, conditions, fires):
    answers = {
        "reason": ["fever"],
        "fever": True,
        "temperature": 38.4,
        "fever-with": ["none"],
        "conditions": conditions,
    }
    assert ("fever-at-risk" in run(answers, age=age).rules_fired) is fires
