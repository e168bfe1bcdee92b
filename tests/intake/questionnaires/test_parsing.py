"""Reading a Questionnaire: every problem refused, naming the item."""

import pytest

from intake.questionnaires.definition import Definition
from intake.questionnaires.items import EXT_SUM_OF, DefinitionError
from tests.intake.questionnaires.support import (
    choice,
    coding,
    make,
    question,
)

# --------------------------------------------------------------------------- definition errors


def _broken(mutate):
    resource = make(
        choice("colour", ["red", "blue", "none"]),
        question("size", "integer"),
        question("note", "string", maxLength=50),
    )
    mutate(resource["item"][0]["item"])
    return resource


@pytest.mark.parametrize(
    ("mutate", "link_id", "words"),
    [
        (lambda items: items.append(question("size", "string")), "size", "used twice"),
        (
            lambda items: items[1].update(
                enableWhen=[{"question": "nope", "operator": "exists", "answerBoolean": True}]
            ),
            "size",
            "unknown item 'nope'",
        ),
        (
            lambda items: items[1].update(
                enableWhen=[{"question": "colour", "operator": ">", "answerCoding": coding("red")}]
            ),
            "size",
            "not allowed for a choice",
        ),
        (
            lambda items: items[1].update(
                enableWhen=[
                    {"question": "colour", "operator": "=", "answerCoding": coding("green")}
                ]
            ),
            "size",
            "'green' is not one of its options",
        ),
        (
            lambda items: items[1].update(
                enableWhen=[{"question": "colour", "operator": "=", "answerString": "red"}]
            ),
            "size",
            "answerString does not match",
        ),
        (
            lambda items: items[1].update(
                enableWhen=[{"question": "note", "operator": "exists", "answerString": "x"}]
            ),
            "size",
            "'exists' needs answerBoolean",
        ),
        (
            lambda items: items[1].update(
                enableWhen=[{"question": "size", "operator": "=", "answerInteger": 1}]
            ),
            "size",
            "the item itself",
        ),
        (
            lambda items: items[1].update(
                enableWhen=[{"question": "colour", "operator": "==", "answerCoding": coding("red")}]
            ),
            "size",
            "not a FHIR operator",
        ),
        (
            lambda items: items[1].update(
                enableWhen=[
                    {"question": "colour", "operator": "exists", "answerBoolean": True},
                    {"question": "note", "operator": "exists", "answerBoolean": True},
                ]
            ),
            "size",
            "needs enableBehavior",
        ),
        (
            lambda items: items[0]["answerOption"].append({"valueString": "x"}),
            "colour",
            "valueString",
        ),
        (
            lambda items: items[0]["answerOption"][0]["valueCoding"].pop("display"),
            "colour",
            "display",
        ),
        (
            lambda items: items[0]["answerOption"].append(items[0]["answerOption"][0]),
            "colour",
            "share a code",
        ),
        (lambda items: items[0].pop("answerOption"), "colour", "needs answerOption"),
        (lambda items: items[1].update(type="attachment"), "size", "not supported"),
        (lambda items: items[1].update(maxLength=3), "size", "maxLength"),
        (lambda items: items[2].update(repeats=True), "note", "repeats"),
        (lambda items: items[1].update(readOnly=True), "size", "readOnly"),
        (lambda items: items[1].update(answerValueSet="http://x"), "size", "answerValueSet"),
        (lambda items: items[1].pop("text"), "size", "needs a text"),
        (
            lambda items: items[1].update(
                extension=[
                    {"url": "http://hl7.org/fhir/StructureDefinition/minValue", "valueInteger": 9},
                    {"url": "http://hl7.org/fhir/StructureDefinition/maxValue", "valueInteger": 1},
                ]
            ),
            "size",
            "minValue is above maxValue",
        ),
        (
            lambda items: items[0]["answerOption"][2].update(
                extension=[
                    {
                        "url": "http://hl7.org/fhir/StructureDefinition/questionnaire-optionExclusive",
                        "valueBoolean": True,
                    }
                ]
            ),
            "colour",
            "does not repeat",
        ),
        (
            lambda items: items.append(
                question(
                    "sum",
                    "integer",
                    readOnly=True,
                    extension=[{"url": EXT_SUM_OF, "valueString": "colour,size"}],
                )
            ),
            "sum",
            "neither scored nor an integer",
        ),
    ],
)
def test_bad_definitions_are_refused_naming_the_item(mutate, link_id, words):
    with pytest.raises(DefinitionError) as error:
        Definition.from_fhir(_broken(mutate))
    assert error.value.link_id == link_id
    assert words in str(error.value)
    assert f"'{link_id}'" in str(error.value)


def test_items_that_depend_on_each_other_in_a_loop_are_refused():
    resource = make(
        question(
            "a",
            "boolean",
            enableWhen=[{"question": "b", "operator": "exists", "answerBoolean": True}],
        ),
        question(
            "b",
            "boolean",
            enableWhen=[{"question": "a", "operator": "exists", "answerBoolean": True}],
        ),
    )
    with pytest.raises(DefinitionError, match="loop"):
        Definition.from_fhir(resource)


def test_a_group_enabled_by_its_own_child_is_a_loop():
    resource = make(
        {
            "linkId": "g",
            "type": "group",
            "text": "Group",
            "enableWhen": [{"question": "inner", "operator": "exists", "answerBoolean": True}],
            "item": [question("inner", "boolean")],
        }
    )
    with pytest.raises(DefinitionError, match="loop"):
        Definition.from_fhir(resource)


def test_top_level_items_must_be_pages():
    resource = make()
    resource["item"] = [question("loose", "boolean")]
    with pytest.raises(DefinitionError, match="top-level"):
        Definition.from_fhir(resource)


def test_a_calculated_expression_we_cannot_evaluate_is_refused():
    calculated = {
        "url": "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-calculatedExpression",
        "valueExpression": {"language": "text/fhirpath", "expression": "1 + 1"},
    }
    resource = make(question("x", "integer", readOnly=True, extension=[calculated]))
    with pytest.raises(DefinitionError, match="sum-of"):
        Definition.from_fhir(resource)


def test_a_definition_does_not_change_when_its_source_does():
    resource = make(question("x", "integer"))
    parsed = Definition.from_fhir(resource)
    resource["item"][0]["item"][0]["type"] = "string"
    assert parsed.items_by_id["x"].type == "integer"
