"""Unsafe paths found in the clinical review (issue: clinical coverage), on the real content.

Each case failed before its fix: it came out one level too low, or a skipped answer hid it.
"""

import json
from pathlib import Path

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


# --- questionnaire version 2: what the patient is or takes changes the level -------------------

E, U, S, R = TriageLevel.EMERGENCY, TriageLevel.URGENT, TriageLevel.SOON, TriageLevel.ROUTINE


@pytest.mark.parametrize(
    ("answers", "age", "level"),
    [
        # Spinning dizziness with double vision or trouble walking: posterior stroke.
        ({"reason": ["dizziness"], "dizzy-with": ["spinning", "double-vision"]}, 60, E),
        ({"reason": ["dizziness"], "dizzy-with": ["spinning"]}, 60, R),
        # Pregnancy (NICE NG133): 140/90 or symptoms same day; 160/110 admits.
        (
            {
                "reason": ["headache"],
                "headache-with": ["vision"],
                "conditions": ["pregnant"],
                "pregnancy-with": ["none"],
            },
            30,
            U,
        ),
        (
            {
                "reason": ["blood-pressure"],
                "bp-systolic": 150,
                "bp-diastolic": 95,
                "bp-with": ["none"],
                "conditions": ["pregnant"],
                "pregnancy-with": ["none"],
            },
            30,
            U,
        ),
        (
            {
                "reason": ["blood-pressure"],
                "bp-systolic": 162,
                "bp-diastolic": 100,
                "bp-with": ["none"],
                "conditions": ["pregnant"],
                "pregnancy-with": ["none"],
            },
            30,
            E,
        ),
        ({"conditions": ["pregnant"], "pregnancy-with": ["bleeding"]}, 30, U),
        ({"conditions": ["pregnant"], "pregnancy-with": ["bleeding", "belly-pain"]}, 30, E),
        ({"conditions": ["pregnant"], "pregnancy-with": ["baby-moving-less"]}, 30, U),
        (
            {
                "conditions": ["pregnant"],
                "pregnancy-with": ["none"],
                "reason": ["womens-health"],
                "women-with": ["severe-pelvic-pain"],
            },
            30,
            E,
        ),
        # Fever with a weak immune system: neutropenic sepsis (NICE CG151).
        ({"fever": True, "fever-with": ["none"], "conditions": ["immune-weak"]}, 40, E),
        ({"fever": True, "fever-with": ["none"], "medicine-classes": ["steroids-immune"]}, 40, E),
        ({"fever": True, "fever-with": ["none"], "conditions": ["postpartum"]}, 30, U),
        # Head injury (NICE NG232).
        ({"urgent-now": ["head-injury"], "head-injury-with": ["none"]}, 40, U),
        (
            {
                "urgent-now": ["head-injury"],
                "head-injury-with": ["none"],
                "medicine-classes": ["blood-thinner"],
            },
            40,
            E,
        ),
        ({"urgent-now": ["head-injury"], "head-injury-with": ["vomiting"]}, 40, E),
        # A first seizure, or one not known to be a repeat, is an emergency.
        ({"urgent-now": ["seizure"]}, 40, E),
        ({"urgent-now": ["seizure"], "seizure-first": True}, 40, E),
        ({"urgent-now": ["seizure"], "seizure-first": False}, 40, U),
        # A water pill with palpitations: low potassium.
        (
            {
                "reason": ["dizziness"],
                "dizzy-with": ["palpitations"],
                "medicine-classes": ["water-pill"],
            },
            70,
            U,
        ),
        (
            {
                "reason": ["palpitations"],
                "palpitations-with": ["none"],
                "palpitations-how": "irregular",
                "medicine-classes": ["water-pill"],
            },
            70,
            U,
        ),
        (
            {
                "reason": ["palpitations"],
                "palpitations-with": ["none"],
                "palpitations-how": "irregular",
                "medicine-classes": ["none"],
            },
            70,
            S,
        ),
        # One swollen leg is a possible clot, more so on the pill.
        (
            {
                "reason": ["leg-swelling"],
                "leg-swelling-side": "one",
                "leg-swelling-with": ["none"],
                "medicine-classes": ["hormones"],
            },
            30,
            U,
        ),
        (
            {"reason": ["leg-swelling"], "leg-swelling-side": "one", "leg-swelling-with": ["none"]},
            30,
            U,
        ),
        # Heart disease alone does not make another visit urgent.
        ({"reason": ["sore-throat"], "throat-with": ["none"], "conditions": ["heart"]}, 60, R),
    ],
)
def test_what_the_patient_is_or_takes_changes_the_level(answers, age, level):
    result = run(answers, age=age)
    assert result.level is level, result.rules_fired


HEARTBURN_TYPE = {
    "reason": ["chest-pain"],
    "urgent-now": ["chest-pain"],
    "chest-pain-with": ["none"],
    "chest-pain-minutes": "comes-and-goes",
    "chest-pain-when": "after-meals",
}


def test_burning_after_meals_is_told_apart_from_heart_type_chest_pain():
    assert run(HEARTBURN_TYPE, age=35).level is R
    assert run({**HEARTBURN_TYPE, "smoking": "now"}, age=35).level is S
    assert run(HEARTBURN_TYPE, age=55).level is S
    assert run({**HEARTBURN_TYPE, "conditions": ["diabetes"]}, age=35).level is S
    # Any heart sign, a longer pain or pain with effort is not heartburn-type.
    assert run({**HEARTBURN_TYPE, "chest-pain-with": ["sweating"]}, age=35).level is E
    assert run({**HEARTBURN_TYPE, "chest-pain-minutes": "over-15"}, age=35).level is E
    assert run({**HEARTBURN_TYPE, "chest-pain-minutes": "5-to-15"}, age=35).level is U
    assert run({**HEARTBURN_TYPE, "chest-pain-when": "effort"}, age=35).level is U


def test_a_blister_alone_is_not_read_as_stevens_johnson():
    """The option now asks for blisters or peeling skin with sores of the mouth, eyes or
    genitals: the questionnaire wording, not the rule, carries the distinction."""
    resource = json.loads(
        (
            Path(__file__).resolve().parents[2] / "intake/questionnaires/general-previsit.json"
        ).read_text(encoding="utf-8")
    )

    def walk(items):
        for item in items:
            yield item
            yield from walk(item.get("item", []))

    rash = next(i for i in walk(resource["item"]) if i["linkId"] == "rash-with")
    display = next(
        o["valueCoding"]["display"]
        for o in rash["answerOption"]
        if o["valueCoding"]["code"] == "blisters-mouth-eyes"
    )
    assert "with sores in the mouth, eyes or genitals" in display
