"""What the handout tells a patient to do, on the real content: one symptom, one instruction,
each line naming its action, the crisis line once."""

from __future__ import annotations

import re

import pytest

from advice import Library, TriageLevel, evaluate
from tests.advice.support import CONTEXT
from tests.vignette_answers import VIGNETTES, mood

ACTION = re.compile(
    r"(call|contact) \{(emergency_number|clinic_name|crisis_line)\}"
    r"|\{clinic_name\} will contact you",
    re.IGNORECASE,
)
EMERGENCIES = sorted(v for v, case in VIGNETTES.items() if case["level"] == "emergency")


@pytest.fixture(scope="module")
def library():
    return Library.from_directory()


def handout_of(library, answers, age=45):
    return evaluate(answers, age=age, library=library, context=CONTEXT)


def test_every_care_line_and_every_instruction_names_its_action(library):
    missing = []
    for topic in (library.global_topic, *library.topics):
        for block in topic.get_care_now:
            if not ACTION.search(block.text):
                missing.append(f"{topic.topic} {block.id}: {block.text}")
        for flag in topic.red_flags:
            if not ACTION.search(flag.act):
                missing.append(f"{topic.topic} {flag.id} (act): {flag.act}")
        for rule in topic.free_text.rules:
            if not ACTION.search(rule.act):
                missing.append(f"{topic.topic} {rule.id} (act): {rule.act}")
    assert missing == []


def test_each_level_says_its_own_action(library):
    """An emergency says to call the emergency number; urgent the clinic today; soon that the
    clinic will be in touch within 2 working days."""
    wrong = []
    for _, flag in library.red_flags():
        act = flag.act
        if flag.level is TriageLevel.EMERGENCY and "{emergency_number}" not in act:
            wrong.append(flag.id)
        if flag.level is TriageLevel.URGENT and not re.search(r"today|now|right away", act):
            wrong.append(flag.id)
        if flag.level is TriageLevel.SOON and "2 working days" not in act:
            wrong.append(flag.id)
    assert wrong == []


@pytest.mark.parametrize("vignette_id", EMERGENCIES)
def test_an_emergency_handout_opens_with_one_action_alone(library, vignette_id):
    case = VIGNETTES[vignette_id]
    result = handout_of(library, case["answers"], case["age"])
    first = [b for b in result.handout.blocks if b.section == "do-this-first"]
    assert len(first) == 1
    assert result.handout.blocks[0] is first[0]
    assert "911" in first[0].text


def stress_mood(mood_with, scores):
    return {
        "reason": ["stress-mood"],
        "urgent-now": ["none"],
        "mood-with": mood_with,
        "since": "1-4-weeks",
        "severity": 5,
        "fever": False,
        **scores,
    }


def count_crisis(handout) -> int:
    return handout.plain_text.count("988")


@pytest.mark.parametrize("vignette_id", ["V06", "V26"])
def test_the_crisis_line_is_given_once(library, vignette_id):
    case = VIGNETTES[vignette_id]
    result = handout_of(library, case["answers"], case["age"])
    assert count_crisis(result.handout) == 1
    first = result.handout.blocks[0]
    assert first.section == "do-this-first" and "988" in first.text


def test_the_crisis_line_is_given_once_when_no_rule_calls_for_it(library):
    answers = stress_mood(["work-stress"], mood((1, 1, 1, 1, 0, 0, 0, 0, 0), (1, 1)))
    result = handout_of(library, answers)
    assert result.triage.level is TriageLevel.ROUTINE
    assert count_crisis(result.handout) == 1


def test_thoughts_of_self_harm_get_the_crisis_line_first_and_once(library):
    scores = mood((2, 2, 1, 1, 1, 1, 1, 1, 1), (1, 1), self_harm_plan=False, self_harm_intent=False)
    result = handout_of(library, stress_mood(["low"], scores))
    assert result.triage.level is TriageLevel.URGENT
    assert count_crisis(result.handout) == 1
    assert "988" in result.handout.blocks[0].text
