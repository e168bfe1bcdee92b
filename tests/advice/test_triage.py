import json

from advice import TriageLevel, TriageResult, triage
from tests.advice.support import CONTEXT, fixture_library

CALM = {"reason": ["muscle-spasms"], "urgent-now": ["none"], "fever": False, "severity": 3}


def run(answers, **kwargs):
    return triage(answers, library=fixture_library(), context=CONTEXT, **kwargs)


def test_triage_levels_are_ordered_by_urgency_not_by_name():
    assert TriageLevel.ROUTINE < TriageLevel.SOON < TriageLevel.URGENT < TriageLevel.EMERGENCY
    assert max([TriageLevel.URGENT, TriageLevel.EMERGENCY, TriageLevel.ROUTINE]) is (
        TriageLevel.EMERGENCY
    )
    assert max([TriageLevel.SOON, TriageLevel.ROUTINE]) is TriageLevel.SOON
    assert sorted(TriageLevel) == [
        TriageLevel.ROUTINE,
        TriageLevel.SOON,
        TriageLevel.URGENT,
        TriageLevel.EMERGENCY,
    ]


def test_triage_levels_are_stored_as_their_codes():
    assert TriageLevel.URGENT == "urgent"
    assert json.dumps(TriageLevel.EMERGENCY) == '"emergency"'
    assert TriageLevel("routine") is TriageLevel.ROUTINE


def test_no_red_flag_means_routine():
    result = run(CALM)
    assert result.level is TriageLevel.ROUTINE
    assert result.reasons == ()
    assert not result.flagged


def test_one_urgent_flag_makes_the_result_urgent():
    result = run({**CALM, "spasm-with": ["weakness"]})
    assert result.level is TriageLevel.URGENT
    assert result.flagged
    assert result.rules_fired == ("spasm-weakness",)


def test_the_highest_level_that_fired_wins():
    answers = {
        **CALM,
        "spasm-with": ["numbness"],
        "temperature": 39.8,
        "urgent-now": ["chest-pain"],
        "chest-pain-with": ["heavy"],
    }
    result = run(answers)
    assert result.level is TriageLevel.EMERGENCY
    assert set(result.rules_fired) == {"chest-pain-now", "spasm-weakness", "high-fever"}


def test_reasons_come_emergency_first():
    answers = {
        **CALM,
        "reason": ["muscle-spasms", "low-back-pain"],
        "spasm-with": ["numbness"],
        "temperature": 39.8,
        "back-with": ["saddle-numb"],
        "self-harm-plan": True,
    }
    levels = [reason.level for reason in run(answers).reasons]
    assert levels == sorted(levels, reverse=True)
    assert levels[0] is TriageLevel.EMERGENCY and levels[-1] is TriageLevel.URGENT
    # Within a level: global flags first, then by topic code.
    assert run(answers).rules_fired == (
        "self-harm-plan",
        "back-cauda-equina",
        "high-fever",
        "spasm-weakness",
    )


def test_flags_of_topics_the_patient_did_not_choose_still_fire():
    answers = {"reason": ["sleep"], "back-with": ["bladder-bowel"]}
    result = run(answers)
    assert result.level is TriageLevel.EMERGENCY
    assert result.reasons[0].topic == "low-back-pain"


def test_a_reason_carries_the_answers_that_triggered_it():
    answers = {**CALM, "spasm-with": ["weakness", "numbness"], "fluids": "plenty"}
    (reason,) = run(answers).reasons
    assert reason.evidence == {"spasm-with": ["weakness", "numbness"]}
    assert reason.text == "New weakness or numbness with muscle spasms"
    assert reason.topic == "muscle-spasms"
    assert reason.version == 3
    assert reason.source.url == "https://medlineplus.gov/ency/article/003193.htm"


def test_evidence_for_a_compound_rule_lists_each_answer_used():
    answers = {"urgent-now": ["chest-pain"], "chest-pain-with": ["sweating", "sick"]}
    (reason,) = run(answers).reasons
    assert reason.evidence == {
        "urgent-now": ["chest-pain"],
        "chest-pain-with": ["sweating", "sick"],
    }


def test_the_patient_action_has_its_placeholders_filled():
    (reason,) = run({**CALM, "spasm-with": ["weakness"]}).reasons
    assert reason.act == (
        "You told us about new weakness or numbness. Please call Riverside Clinic today. "
        "If it gets worse fast, call 911."
    )


def test_crisis_line_is_filled_in_the_self_harm_action():
    (reason,) = run({"self-harm-plan": True}).reasons
    assert "Please call 988 or 911 now." in reason.act


def test_a_reason_asks_for_the_crisis_line_when_its_content_names_it():
    (self_harm,) = run({"self-harm-plan": True}).reasons
    assert self_harm.crisis_line is True
    (weakness,) = run({**CALM, "spasm-with": ["weakness"]}).reasons
    assert weakness.crisis_line is False


def test_every_level_has_a_label_and_the_flagged_ones_are_the_clinicians_choices():
    assert TriageLevel.choices() == [
        ("emergency", "Emergency"),
        ("urgent", "Urgent"),
        ("soon", "Soon"),
        ("routine", "Routine"),
    ]
    assert TriageLevel.choices(flagged_only=True) == [
        ("emergency", "Emergency"),
        ("urgent", "Urgent"),
        ("soon", "Soon"),
    ]
    assert [level.rank for level in sorted(TriageLevel)] == [0, 1, 2, 3]


def test_a_triage_result_survives_a_json_round_trip():
    result = run({**CALM, "spasm-with": ["weakness"], "temperature": 40.1})
    data = json.loads(json.dumps(result.to_dict()))
    assert TriageResult.from_dict(data) == result
