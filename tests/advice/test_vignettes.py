"""The triage vignettes (/work/shared/vignettes.md) through `evaluate`, on the real content.

These need advice/content/; the vocabulary checks at the top do not.
"""

import re

import pytest

from advice import Library, TriageLevel, evaluate
from tests.advice.support import CONTEXT, LETTER, shared_runs, vocabulary_problems
from tests.vignette_answers import VIGNETTES

IDS = sorted(VIGNETTES)

# Detail items (docs/answers.md, page-details) and the `reason` code that enables them.
DETAIL_TOPIC = {
    "spasm-": "muscle-spasms",
    "back-": "low-back-pain",
    "headache-with": "headache",
    "headache-pattern": "headache",
    "cough-": "cough-cold",
    "throat-": "sore-throat",
    "heartburn-": "heartburn",
    "diarrhoea-": "diarrhoea",
    "constipation-": "constipation",
    "urinary-": "urinary",
    "rash-": "skin-rash",
    "tired-": "tiredness",
    "dizzy-": "dizziness",
    "sleep-problem": "sleep",
    "mood-with": "stress-mood",
    "joint-": "joint-pain",
    "bp-": "blood-pressure",
    "leg-swelling-": "leg-swelling",
    "chest-pain-when": "chest-pain",
    "belly-": "belly-pain",
    "palpitations-": "palpitations",
    "breathing-with": "breathing-problems",
    "breathing-what": "breathing-problems",
    "ens-": "ear-nose-sinus",
    "eye-with": "eye",
    "women-": "womens-health",
    "men-": "mens-health",
    "diabetes-": "diabetes",
    "lifestyle-": "lifestyle",
}


def evaluation(vignette_id):
    case = VIGNETTES[vignette_id]
    return evaluate(
        case["answers"], age=case["age"], library=Library.from_directory(), context=CONTEXT
    )


# --- the answers themselves ----------------------------------------------------------------


def test_both_sets_of_vignettes_are_encoded():
    first = [v for v in IDS if v <= "V20"]
    assert first == [f"V{n:02}" for n in range(1, 21)]
    levels = [VIGNETTES[v]["level"] for v in first]
    assert levels == ["emergency"] * 6 + ["urgent"] * 6 + ["routine"] * 8
    second = {v: VIGNETTES[v]["level"] for v in IDS if v > "V20"}
    expected = (
        dict.fromkeys(["V21", "V22", "V23", "V24", "V25", "V26", "V27", "V28"], "emergency")
        | dict.fromkeys(["V29", "V30", "V31", "V32", "V33"], "urgent")
        | {"V34": "soon", "V44": "soon"}
        | dict.fromkeys([f"V{n}" for n in range(35, 44)], "routine")
    )
    assert second == expected


@pytest.mark.parametrize("vignette_id", IDS)
def test_vignette_answers_use_only_the_answer_vocabulary(vignette_id):
    assert vocabulary_problems(VIGNETTES[vignette_id]["answers"]) == []


@pytest.mark.parametrize("vignette_id", IDS)
def test_vignette_answers_hold_only_items_that_would_be_asked(vignette_id):
    answers = VIGNETTES[vignette_id]["answers"]
    reasons = answers["reason"]
    urgent = answers["urgent-now"]
    for link_id in answers:
        for prefix, topic in DETAIL_TOPIC.items():
            if link_id.startswith(prefix):
                assert topic in reasons, f"{link_id} is asked only when reason has {topic}"
    for required in ("reason", "urgent-now", "since", "severity", "fever"):
        assert required in answers
    assert ("reason-other" in answers) == ("other" in reasons)
    if "chest-pain-with" in answers or "chest-pain-minutes" in answers:
        assert "chest-pain" in urgent or "chest-pain" in reasons
    assert ("stroke-started" in answers) == ("stroke-signs" in urgent)
    assert ("headache-sudden" in answers) == ("worst-headache" in urgent)
    assert ("head-injury-with" in answers) == ("head-injury" in urgent)
    assert ("seizure-first" in answers) <= ("seizure" in urgent)
    pregnant = "pregnant" in answers.get("conditions", [])
    assert ("pregnancy-with" in answers) == pregnant
    assert ("pregnancy-weeks" in answers) <= pregnant
    assert "medicine-classes" in answers
    assert ("temperature" in answers) <= answers["fever"]
    assert ("fever-with" in answers) <= answers["fever"]
    phq_more = answers["phq2-total"] >= 2 or "stress-mood" in reasons
    assert ("phq9-3" in answers) == phq_more
    assert ("gad7-3" in answers) == (answers["gad2-total"] >= 3)
    assert ("self-harm-plan" in answers) == (answers.get("phq9-9", 0) > 0)
    assert answers["phq2-total"] == answers["phq9-1"] + answers["phq9-2"]
    if "phq9-total" in answers:
        assert answers["phq9-total"] == sum(answers[f"phq9-{n}"] for n in range(1, 10))
    if "gad7-total" in answers:
        assert answers["gad7-total"] == sum(answers[f"gad7-{n}"] for n in range(1, 8))


# --- through the engine -------------------------------------------------------------------


@pytest.mark.parametrize("vignette_id", IDS)
def test_vignette_gets_the_expected_triage_level(vignette_id):
    case = VIGNETTES[vignette_id]
    result = evaluation(vignette_id).triage
    fired = [(reason.rule_id, reason.level.value) for reason in result.reasons]
    assert result.level == TriageLevel(case["level"]), f"{vignette_id}: fired {fired}"


@pytest.mark.parametrize("vignette_id", IDS)
def test_vignette_handout_covers_the_expected_topics(vignette_id):
    case = VIGNETTES[vignette_id]
    handout = evaluation(vignette_id).handout
    if case["topics"] is None:
        # Emergency screen or flag: the red-flag advice opens the handout.
        assert handout.blocks[0].section == "do-this-first"
        assert handout.rules_fired
    else:
        assert list(handout.topics) == case["topics"]


@pytest.mark.parametrize("vignette_id", [v for v in IDS if VIGNETTES[v]["level"] != "routine"])
def test_flagged_vignettes_tell_the_patient_what_to_do_first(vignette_id):
    result = evaluation(vignette_id)
    first = result.handout.blocks[0]
    assert first.section == "do-this-first"
    assert first.text == result.triage.reasons[0].act
    for reason in result.triage.reasons:
        assert reason.evidence, f"{reason.rule_id} shows no answer behind it"


@pytest.mark.parametrize("vignette_id", [v for v in IDS if VIGNETTES[v]["level"] == "routine"])
def test_routine_vignettes_fire_no_rule(vignette_id):
    assert evaluation(vignette_id).triage.reasons == ()


@pytest.mark.parametrize("vignette_id", IDS)
def test_vignette_handout_reads_at_grade_six_in_150_to_800_words(vignette_id):
    handout = evaluation(vignette_id).handout
    assert handout.reading_grade <= 6.0
    assert 150 <= handout.word_count <= 800


def test_v06_handout_gives_the_crisis_line():
    handout = evaluation("V06").handout
    assert "988" in handout.blocks[0].text


# --- V13: the case the letter was written for ---------------------------------------------


def _tailored_text(handout):
    return " ".join(
        block.text for block in handout.blocks if block.section in ("said", "causes", "self-care")
    ).lower()


def test_v13_says_water_alone_may_not_prevent_cramps():
    handout = evaluation("V13").handout
    said = " ".join(b.text for b in handout.blocks if b.section == "said").lower()
    assert re.search(r"\b(water|drink|drinking|fluids?)\b", said)


@pytest.mark.parametrize("word", ["magnesium", "potassium"])
def test_v13_mentions_the_minerals(word):
    assert word in _tailored_text(evaluation("V13").handout)


def test_v13_suggests_movement_breaks():
    text = _tailored_text(evaluation("V13").handout)
    assert re.search(r"\b(breaks?|get up|stand up|move around|walk around)\b", text)


def test_v13_copies_no_sentence_from_the_letter():
    letter = LETTER.read_text("utf-8")
    handout = evaluation("V13").handout
    assert shared_runs(handout.plain_text, letter, length=8) == set()
