"""enableWhen, as FHIR R4 defines it: which items are asked."""

import pytest

from intake.questionnaires.definition import Definition
from tests.intake.questionnaires.support import (
    choice,
    coding,
    make,
    question,
)

# --------------------------------------------------------------------------- enableWhen operators


def operator_definition(type_, operator, answer_key, answer_value, behavior=None, extra=()):
    source = {"integer": question("q", "integer"), "decimal": question("q", "decimal")}
    source |= {
        "date": question("q", "date"),
        "boolean": question("q", "boolean"),
        "string": question("q", "string"),
        "choice": choice("q", ["a", "b", "c"], repeats=True),
    }
    conditions = [{"question": "q", "operator": operator, answer_key: answer_value}, *extra]
    target = question("t", "boolean", enableWhen=conditions)
    if behavior:
        target["enableBehavior"] = behavior
    return Definition.from_fhir(make(source[type_], target))


@pytest.mark.parametrize(
    ("type_", "operator", "key", "expected", "answers"),
    [
        # = : at least one answer equals
        ("integer", "=", "answerInteger", 5, {5: True, 4: False, None: False}),
        ("boolean", "=", "answerBoolean", True, {True: True, False: False, None: False}),
        ("string", "=", "answerString", "yes", {"yes": True, "no": False, None: False}),
        ("date", "=", "answerDate", "2024-01-02", {"2024-01-02": True, "2024-01-03": False}),
        # != : no answer equals (so true when unanswered, as FHIR words it)
        ("integer", "!=", "answerInteger", 5, {5: False, 4: True, None: True}),
        ("boolean", "!=", "answerBoolean", True, {True: False, False: True, None: True}),
        # > < >= <= : at least one answer compares so; false when unanswered
        ("integer", ">", "answerInteger", 5, {6: True, 5: False, None: False}),
        ("integer", "<", "answerInteger", 5, {4: True, 5: False, None: False}),
        ("integer", ">=", "answerInteger", 5, {5: True, 4: False, None: False}),
        ("integer", "<=", "answerInteger", 5, {5: True, 6: False, None: False}),
        ("decimal", ">", "answerDecimal", 38.0, {38.5: True, 38.0: False, None: False}),
        ("decimal", "<=", "answerDecimal", 38.0, {38.0: True, 38.1: False}),
        ("date", ">", "answerDate", "2024-01-02", {"2024-01-03": True, "2024-01-02": False}),
        ("date", "<", "answerDate", "2024-01-02", {"2024-01-01": True, "2025-01-01": False}),
        # exists
        ("integer", "exists", "answerBoolean", True, {0: True, None: False}),
        ("integer", "exists", "answerBoolean", False, {0: False, None: True}),
    ],
)
def test_enable_when_operators(type_, operator, key, expected, answers):
    definition = operator_definition(type_, operator, key, expected)
    for value, enabled in answers.items():
        given = {} if value is None else {"q": value}
        assert definition.enabled("t", given) is enabled, (value, enabled)


def test_enable_when_on_a_multi_select_looks_at_every_answer():
    equals = operator_definition("choice", "=", "answerCoding", coding("b"))
    assert equals.enabled("t", {"q": ["a", "b"]})
    assert not equals.enabled("t", {"q": ["a", "c"]})
    differs = operator_definition("choice", "!=", "answerCoding", coding("b"))
    assert not differs.enabled("t", {"q": ["a", "b"]})
    assert differs.enabled("t", {"q": ["a", "c"]})
    assert differs.enabled("t", {})


def test_enable_behavior_all_and_any():
    at_least_two = {"question": "q", "operator": ">=", "answerInteger": 2}
    both = operator_definition("integer", "<=", "answerInteger", 4, "all", [at_least_two])
    either = operator_definition("integer", "<=", "answerInteger", 4, "any", [at_least_two])
    assert [both.enabled("t", {"q": n}) for n in (1, 3, 5)] == [False, True, False]
    assert [either.enabled("t", {"q": n}) for n in (1, 3, 5)] == [True, True, True]
    assert not either.enabled("t", {})


def test_a_disabled_question_counts_as_unanswered_down_the_chain():
    definition = Definition.from_fhir(
        make(
            question("a", "boolean"),
            question(
                "b",
                "boolean",
                enableWhen=[{"question": "a", "operator": "=", "answerBoolean": True}],
            ),
            question(
                "c",
                "string",
                enableWhen=[{"question": "b", "operator": "=", "answerBoolean": True}],
            ),
        )
    )
    assert definition.enabled("c", {"a": True, "b": True})
    assert not definition.enabled("c", {"a": False, "b": True})


def test_items_in_a_disabled_group_are_disabled(definition):
    assert not definition.enabled("spasm-where", {"reason": ["headache"]})
    assert not definition.enabled("topic-muscle-spasms", {"reason": ["headache"]})
