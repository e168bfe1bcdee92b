"""FHIR R4 in and out: the shipped Questionnaire, and QuestionnaireResponses both ways."""

import copy
import json
from datetime import UTC, date, datetime

import pytest
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from intake.questionnaires.definition import GENERAL_PREVISIT
from intake.questionnaires.fhir import (
    FhirError,
    answers_to_response,
    response_to_answers,
    validate_questionnaire,
)
from intake.questionnaires.items import ANSWER_SYSTEM

TODAY = date(2025, 6, 15)
AUTHORED = datetime(2025, 6, 14, 9, 30, tzinfo=UTC)


def shipped() -> dict:
    return json.loads(GENERAL_PREVISIT.read_text(encoding="utf-8"))


V08 = {
    # woman, 33: burning when passing urine, fever 38.6 °C, pain in one side of the back
    "reason": ["fever", "urinary"],  # stored in the order the options are shown
    "reason-words": "It burns when I pass urine.\nMy back hurts on the left.",
    "urgent-now": ["none"],
    "since": "1-3-days",
    "how-often": "all-the-time",
    "severity": 6,
    "fever": True,
    "temperature": 38.6,
    "fever-with": ["shaking-chills"],
    "urinary-with": ["burning", "frequent", "side-pain"],
    "fluids": "some",
    "conditions": ["none"],
    "medicine-classes": ["none"],
    "phq9-1": "0",
    "phq9-2": "1",
    "gad7-1": "1",
    "gad7-2": "1",
}


def item_at(response, *link_ids):
    items = response["item"]
    for link_id in link_ids:
        node = next(i for i in items if i["linkId"] == link_id)
        items = node.get("item", [])
    return node


# --------------------------------------------------------------------------- Questionnaire


def test_shipped_questionnaire_is_valid_fhir():
    model = validate_questionnaire(shipped())
    assert model.url == "http://previsit.local/fhir/Questionnaire/general-previsit"
    assert [page.linkId for page in model.item][0] == "page-reason"


def test_a_model_error_names_the_item():
    resource = shipped()
    severity = item_at(resource, "page-symptoms", "severity")
    severity["extension"][1]["valueInteger"] = "zero"
    with pytest.raises(FhirError) as error:
        validate_questionnaire(resource)
    assert list(error.value.errors) == ["severity"]
    assert "item 'severity'" in str(error.value)
    assert "item[2].item[5].extension[1].valueInteger" in str(error.value)


def test_an_enable_when_with_two_answers_names_the_item():
    resource = shipped()
    condition = item_at(resource, "page-reason", "reason-other")["enableWhen"][0]
    condition["answerString"] = "other"
    with pytest.raises(FhirError) as error:
        validate_questionnaire(resource)
    assert "reason-other" in error.value.errors


@pytest.mark.parametrize(
    ("path", "change", "words"),
    [
        (("page-symptoms", "since"), {"type": "pick-one"}, "not a FHIR item type"),
        (
            ("page-reason", "reason-other"),
            {"enableWhen": [{"question": "reason", "operator": "==", "answerBoolean": True}]},
            "operator",
        ),
        (
            ("page-reason", "reason-other"),
            {"enableWhen": [{"question": "reason", "operator": "exists", "answerString": "x"}]},
            "que-7",
        ),
        (("page-urgent", "chest-pain-with"), {"enableBehavior": None}, "que-12"),
        (
            ("page-symptoms", "severity"),
            {"answerOption": [{"valueCoding": {"code": "x"}}]},
            "que-5",
        ),
        (("page-mood", "mood-intro"), {"required": True}, "que-6"),
        (("page-symptoms", "since"), {"maxLength": 4}, "que-10"),
        (("page-symptoms", "weight-loss"), {"linkId": "since"}, "que-2"),
    ],
)
def test_fhir_invariants_the_models_skip_are_checked(path, change, words):
    resource = shipped()
    node = item_at(resource, *path)
    for key, value in change.items():
        if value is None:
            node.pop(key)
        else:
            node[key] = value
    with pytest.raises(FhirError) as error:
        validate_questionnaire(resource)
    assert words in str(error.value)
    key = change.get("linkId", path[-1])
    assert key in error.value.errors


def test_a_questionnaire_without_items_in_a_group_is_refused():
    resource = shipped()
    item_at(resource, "page-health")["item"] = []
    with pytest.raises(FhirError, match="que-1"):
        validate_questionnaire(resource)


def test_only_a_questionnaire_is_a_questionnaire():
    with pytest.raises(FhirError, match="resourceType"):
        validate_questionnaire({"resourceType": "Patient"})


# --------------------------------------------------------------------------- answers -> response


def test_answers_to_response_nests_items_as_the_pages(definition):
    response = answers_to_response(
        V08, definition, status="completed", authored=AUTHORED, today=TODAY
    )
    QuestionnaireResponse.model_validate(response)
    assert (
        response["questionnaire"] == "http://previsit.local/fhir/Questionnaire/general-previsit|2"
    )
    assert response["authored"] == "2025-06-14T09:30:00+00:00"
    assert [page["linkId"] for page in response["item"]] == [
        "page-reason",
        "page-urgent",
        "page-symptoms",
        "page-details",
        "page-lifestyle",
        "page-health",
        "page-mood",
    ]
    urinary = item_at(response, "page-details", "topic-urinary", "urinary-with")
    assert [a["valueCoding"]["code"] for a in urinary["answer"]] == [
        "burning",
        "frequent",
        "side-pain",
    ]
    assert urinary["answer"][0]["valueCoding"]["system"] == ANSWER_SYSTEM
    assert item_at(response, "page-symptoms", "temperature")["answer"] == [{"valueDecimal": 38.6}]
    assert item_at(response, "page-symptoms", "fever")["answer"] == [{"valueBoolean": True}]
    assert item_at(response, "page-symptoms", "severity")["answer"] == [{"valueInteger": 6}]
    assert item_at(response, "page-mood", "phq2-total")["answer"] == [{"valueInteger": 1}]
    json.dumps(response)  # ready to send


def test_answers_to_response_leaves_hidden_answers_out(definition):
    answers = {**V08, "fever": False}
    response = answers_to_response(
        answers, definition, status="completed", authored=AUTHORED, today=TODAY
    )
    symptoms = [i["linkId"] for i in item_at(response, "page-symptoms")["item"]]
    assert "temperature" not in symptoms and "fever-with" not in symptoms


def test_answers_to_response_refuses_bad_answers_naming_them(definition):
    with pytest.raises(FhirError) as error:
        answers_to_response(
            {**V08, "severity": "6", "since": "ages"},
            definition,
            status="in-progress",
            authored=AUTHORED,
        )
    assert set(error.value.errors) == {"severity", "since"}


def test_a_completed_response_needs_its_required_answers(definition):
    partial = {"reason": ["headache"]}
    with pytest.raises(FhirError) as error:
        answers_to_response(partial, definition, status="completed", authored=AUTHORED)
    assert {"urgent-now", "since", "severity", "fever"} <= set(error.value.errors)
    response = answers_to_response(partial, definition, status="in-progress", authored=AUTHORED)
    assert response["status"] == "in-progress"


def test_answers_to_response_needs_a_real_status_and_a_time_zone(definition):
    with pytest.raises(FhirError, match="status"):
        answers_to_response(V08, definition, status="done", authored=AUTHORED)
    with pytest.raises(FhirError, match="time zone"):
        answers_to_response(
            V08, definition, status="completed", authored=datetime(2025, 6, 14, 9, 30)
        )
    with pytest.raises(FhirError, match="authored"):
        answers_to_response(V08, definition, status="completed", authored="14 June", today=TODAY)


# --------------------------------------------------------------------------- response -> answers


def test_response_round_trip_gives_back_the_answers(definition):
    response = answers_to_response(
        V08, definition, status="completed", authored=AUTHORED, today=TODAY
    )
    assert response_to_answers(response, definition, today=TODAY) == definition.prune(V08)
    assert response_to_answers(json.loads(json.dumps(response)), definition, today=TODAY) == V08


def test_round_trip_with_the_full_phq9_and_self_harm_answers(definition):
    answers = {
        **V08,
        "reason": ["stress-mood"],
        "mood-with": ["low"],
        "phq9-1": "2",
        "phq9-2": "3",
        **{f"phq9-{n}": "1" for n in range(3, 10)},
        "self-harm-plan": False,
        "self-harm-intent": False,
    }
    answers.pop("urinary-with")
    response = answers_to_response(
        answers, definition, status="completed", authored=AUTHORED, today=TODAY
    )
    assert item_at(response, "page-mood-more", "phq9-total")["answer"] == [{"valueInteger": 12}]
    assert response_to_answers(response, definition, today=TODAY) == definition.prune(answers)


def response_for(definition, **changes):
    response = answers_to_response(
        V08, definition, status="completed", authored=AUTHORED, today=TODAY
    )
    response.update(changes)
    return response


def test_a_response_to_another_questionnaire_is_refused(definition):
    for canonical in ("http://example.org/Questionnaire/other", definition.url + "|1"):
        with pytest.raises(FhirError, match="the response is for"):
            response_to_answers(response_for(definition, questionnaire=canonical), definition)
    without_version = response_for(definition, questionnaire=definition.url)
    assert response_to_answers(without_version, definition, today=TODAY)["severity"] == 6
    with pytest.raises(FhirError, match="does not name"):
        response_to_answers({**without_version, "questionnaire": None}, definition)


@pytest.mark.parametrize(
    ("path", "answer", "words"),
    [
        (("page-symptoms", "fever"), [{"valueString": "yes"}], "does not fit this boolean"),
        (("page-symptoms", "fever"), [{"valueBoolean": "true"}], "does not fit this boolean"),
        (("page-symptoms", "severity"), [{"valueInteger": 12}], "from 0 to 10"),
        (("page-symptoms", "severity"), [{"valueDecimal": 6.0}], "does not fit this integer"),
        (
            ("page-symptoms", "since"),
            [{"valueCoding": {"system": ANSWER_SYSTEM, "code": "ages"}}],
            "not one of the choices",
        ),
        (
            ("page-symptoms", "since"),
            [{"valueCoding": {"system": "http://other", "code": "today"}}],
            "system",
        ),
        (
            ("page-symptoms", "since"),
            [{"valueCoding": {"code": "today"}}, {"valueCoding": {"code": "1-3-days"}}],
            "only one answer",
        ),
        (
            ("page-urgent", "urgent-now"),
            [{"valueCoding": {"code": "none"}}, {"valueCoding": {"code": "fainted"}}],
            "cannot be chosen",
        ),
        (("page-symptoms", "temperature"), [{"valueDecimal": 120.0}], "from 34 to 43"),
        (("page-reason", "reason-words"), [{"valueString": "x" * 2001}], "2000 characters"),
    ],
)
def test_bad_response_answers_name_the_item(definition, path, answer, words):
    response = response_for(definition)
    item_at(response, *path)["answer"] = answer
    with pytest.raises(FhirError) as error:
        response_to_answers(response, definition, today=TODAY)
    assert list(error.value.errors) == [path[-1]]
    assert words in error.value.errors[path[-1]]


def test_a_model_error_in_a_response_names_the_item(definition):
    response = response_for(definition)
    item_at(response, "page-symptoms", "severity")["answer"] = [{"valueDate": "2025-13-01"}]
    with pytest.raises(FhirError) as error:
        response_to_answers(response, definition)
    assert list(error.value.errors) == ["severity"]


def test_items_in_the_wrong_place_or_unknown_are_refused(definition):
    response = response_for(definition)
    symptoms = item_at(response, "page-symptoms")
    moved = symptoms["item"].pop(0)  # "since", now put on the reason page
    item_at(response, "page-reason")["item"].append(moved)
    symptoms["item"].append({"linkId": "shoe-size", "answer": [{"valueInteger": 9}]})
    with pytest.raises(FhirError) as error:
        response_to_answers(response, definition)
    assert "inside 'page-symptoms'" in error.value.errors["since"]
    assert "not a question" in error.value.errors["shoe-size"]


def test_answers_to_hidden_questions_in_a_response_are_dropped(definition):
    response = response_for(definition)
    urgent = item_at(response, "page-urgent")
    urgent["item"].append(
        {"linkId": "stroke-started", "answer": [{"valueCoding": {"code": "under-24h"}}]}
    )
    assert "stroke-started" not in response_to_answers(response, definition, today=TODAY)


def test_a_total_that_does_not_match_the_answers_is_refused(definition):
    response = response_for(definition)
    item_at(response, "page-mood", "phq2-total")["answer"] = [{"valueInteger": 5}]
    with pytest.raises(FhirError) as error:
        response_to_answers(response, definition)
    assert "does not match" in error.value.errors["phq2-total"]


def test_an_in_progress_response_may_leave_required_questions(definition):
    response = {
        "resourceType": "QuestionnaireResponse",
        "questionnaire": definition.canonical,
        "status": "in-progress",
        "item": [
            {
                "linkId": "page-reason",
                "item": [{"linkId": "reason", "answer": [{"valueCoding": {"code": "headache"}}]}],
            }
        ],
    }
    assert response_to_answers(response, definition) == {"reason": ["headache"]}
    with pytest.raises(FhirError) as error:
        response_to_answers({**response, "status": "completed"}, definition)
    assert "Please choose an answer" in error.value.errors["urgent-now"]


def test_a_response_is_not_changed_by_reading_it(definition):
    response = response_for(definition)
    before = copy.deepcopy(response)
    response_to_answers(response, definition, today=TODAY)
    assert response == before
