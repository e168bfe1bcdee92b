"""FHIR R4 in and out: check a Questionnaire, read and write QuestionnaireResponses.

Uses the R4B models of ``fhir.resources`` (R4B and R4 agree on Questionnaire and
QuestionnaireResponse for everything we use). Those models check structure and
data types, not code values or invariants, so :func:`validate_questionnaire`
adds the few checks we rely on. No Django here.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

import pydantic
from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from intake.questionnaires.definition import Definition
from intake.questionnaires.items import CHOICE_TYPES, NON_FIELD_ERRORS, OPERATORS, Item

QUESTIONNAIRE_STATUSES = frozenset({"draft", "active", "retired", "unknown"})
RESPONSE_STATUSES = frozenset(
    {"in-progress", "completed", "amended", "entered-in-error", "stopped"}
)
# A response in one of these says it is finished, so required questions must be answered.
FINISHED_STATUSES = frozenset({"completed", "amended"})
ITEM_TYPES = frozenset(
    {
        "group",
        "display",
        "boolean",
        "decimal",
        "integer",
        "date",
        "dateTime",
        "time",
        "string",
        "text",
        "url",
        "choice",
        "open-choice",
        "attachment",
        "reference",
        "quantity",
    }
)
# The value[x] that carries each type's answer as a JSON string.
_STRING_KEYS = {
    "date": "valueDate",
    "string": "valueString",
    "text": "valueString",
    "open-choice": "valueString",
}
_SIMPLE_TYPES = frozenset({"boolean", "decimal", "integer", "string", "text", "url", "open-choice"})


class FhirError(ValueError):
    """A resource is not valid; ``errors`` maps a linkId (or ``"__all__"``) to what is wrong."""

    def __init__(self, errors: Mapping[str, str] | str) -> None:
        if isinstance(errors, str):
            errors = {NON_FIELD_ERRORS: errors}
        self.errors = dict(errors)
        super().__init__(
            "; ".join(
                message if key == NON_FIELD_ERRORS else f"item '{key}': {message}"
                for key, message in self.errors.items()
            )
        )


# --------------------------------------------------------------------------- model validation


def _path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else f".{part}" if out else str(part)
    return out


def _link_id_at(resource: Mapping[str, Any], loc: tuple[Any, ...]) -> str | None:
    """The linkId of the innermost item a pydantic error location points into."""
    node: Any = resource
    link_id = None
    for part in loc:
        in_mapping = isinstance(node, Mapping) and part in node
        in_list = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        if not (in_mapping or in_list):
            break
        node = node[part]
        if isinstance(node, Mapping) and isinstance(node.get("linkId"), str):
            link_id = node["linkId"]
    return link_id


def _model_validate(model: type, resource: Mapping[str, Any]) -> Any:
    try:
        return model.model_validate(resource)
    except pydantic.ValidationError as error:
        errors: dict[str, str] = {}
        for detail in error.errors():
            loc = tuple(detail.get("loc", ()))
            key = _link_id_at(resource, loc) or NON_FIELD_ERRORS
            message = f"{' '.join(str(detail.get('msg', '')).split())} (at {_path(loc)})"
            errors[key] = f"{errors[key]}; {message}" if key in errors else message
        raise FhirError(errors) from error
    except (TypeError, ValueError) as error:  # e.g. a resourceType the model refuses
        raise FhirError(" ".join(str(error).split())) from error


def validate_questionnaire(resource: Mapping[str, Any]) -> Questionnaire:
    """Check a Questionnaire against FHIR R4(B); FhirError names the item at fault.

    On top of the model's structure and type checks: the status, item type,
    enableWhen operator and enableBehavior codes, unique linkIds (que-2), groups
    with items and display items without (que-1), answerOption only on choice
    items (que-5), no required/repeats on display items (que-6), ``exists`` with
    answerBoolean (que-7), no readOnly display items (que-9), maxLength only on
    simple types (que-10), enableBehavior when there are several enableWhen (que-12).
    """
    if not isinstance(resource, Mapping) or resource.get("resourceType") != "Questionnaire":
        raise FhirError("resourceType must be 'Questionnaire'")
    model = _model_validate(Questionnaire, resource)

    errors: dict[str, str] = {}

    def add(link_id: str, message: str) -> None:
        errors[link_id] = f"{errors[link_id]}; {message}" if link_id in errors else message

    if resource.get("status") not in QUESTIONNAIRE_STATUSES:
        add(NON_FIELD_ERRORS, f"status {resource.get('status')!r} is not a Questionnaire status")

    seen: set[str] = set()

    def check(item: Mapping[str, Any]) -> None:
        link_id = item.get("linkId", "?")
        if link_id in seen:
            add(link_id, "linkId is used more than once (que-2)")
        seen.add(link_id)
        type_ = item.get("type")
        children = item.get("item") or []
        if type_ not in ITEM_TYPES:
            add(link_id, f"type {type_!r} is not a FHIR item type")
        if type_ == "group" and not children:
            add(link_id, "a group needs items (que-1)")
        if type_ == "display" and children:
            add(link_id, "a display item cannot have items (que-1)")
        if item.get("answerOption") and type_ not in CHOICE_TYPES:
            add(link_id, "only choice and open-choice items can have answerOption (que-5)")
        if type_ == "display" and (item.get("required") or item.get("repeats")):
            add(link_id, "a display item cannot be required or repeat (que-6)")
        if type_ == "display" and item.get("readOnly"):
            add(link_id, "a display item cannot be readOnly (que-9)")
        if "maxLength" in item and type_ not in _SIMPLE_TYPES:
            add(link_id, f"maxLength is not allowed on a {type_} item (que-10)")
        conditions = item.get("enableWhen") or []
        for condition in conditions:
            operator = condition.get("operator")
            if operator not in OPERATORS:
                add(link_id, f"enableWhen operator {operator!r} is not a FHIR operator")
            if operator == "exists" and "answerBoolean" not in condition:
                add(link_id, "enableWhen 'exists' needs answerBoolean (que-7)")
        behavior = item.get("enableBehavior")
        if behavior is not None and behavior not in ("all", "any"):
            add(link_id, f"enableBehavior {behavior!r} must be 'all' or 'any'")
        if len(conditions) > 1 and behavior is None:
            add(link_id, "several enableWhen need enableBehavior (que-12)")
        for child in children:
            check(child)

    for item in resource.get("item") or []:
        check(item)
    if errors:
        raise FhirError(errors)
    return model


# --------------------------------------------------------------------------- responses in


def _check_canonical(qr: Mapping[str, Any], definition: Definition) -> str | None:
    canonical = qr.get("questionnaire")
    if not isinstance(canonical, str) or not canonical:
        return "the response does not name its questionnaire"
    url, _, version = canonical.partition("|")
    if url != definition.url:
        return f"the response is for {url}, not {definition.url}"
    if version and definition.version and version != definition.version:
        return f"the response is for version {version}, not version {definition.version}"
    return None


def _answer_strings(item: Item, answers: list[Any]) -> list[str]:
    """The answers of one response item as the strings clean_page takes; ValueError says why not."""
    out: list[str] = []
    for answer in answers:
        if not isinstance(answer, Mapping):
            raise ValueError("an answer must be an object")
        if answer.get("item"):
            raise ValueError("items nested under an answer are not supported")
        keys = [k for k in answer if k.startswith("value")]
        if len(keys) != 1:
            raise ValueError("each answer needs exactly one value[x]")
        key, value = keys[0], answer[keys[0]]
        if item.type == "boolean" and key == "valueBoolean" and isinstance(value, bool):
            out.append("true" if value else "false")
        elif item.type in CHOICE_TYPES and key == "valueCoding" and isinstance(value, Mapping):
            code = value.get("code")
            if not isinstance(code, str):
                raise ValueError("valueCoding needs a code")
            option = item.option(code)
            system = value.get("system")
            if option and option.system and system is not None and system != option.system:
                raise ValueError(f"code '{code}' has system {system!r}, expected {option.system!r}")
            out.append(code)
        elif (
            item.type in ("integer", "decimal")
            and key == ("valueInteger" if item.type == "integer" else "valueDecimal")
            and isinstance(value, int | float)
            and not isinstance(value, bool)
        ):
            out.append(repr(value) if isinstance(value, float) else str(value))
        elif isinstance(value, str) and key == _STRING_KEYS.get(item.type):
            out.append(value)
        else:
            raise ValueError(f"{key} {value!r} does not fit this {item.type} question")
    return out


def _same_number(a: Any, b: Any) -> bool:
    return isinstance(a, int | float) and isinstance(b, int | float) and math.isclose(a, b)


def response_to_answers(
    qr: Mapping[str, Any], definition: Definition, *, today: date | None = None
) -> dict[str, Any]:
    """A FHIR R4 QuestionnaireResponse as our answers dict, checked like a posted page.

    The response must name this questionnaire (``url`` or ``url|version``). Items
    must sit in the groups the questionnaire puts them in. Answers to disabled
    items are dropped, as clean_page drops them. Required questions must be
    answered only when the status says the response is finished (completed,
    amended). Totals in the response are not taken, but must agree with ours.
    FhirError maps each offending linkId to what is wrong.
    """
    if not isinstance(qr, Mapping) or qr.get("resourceType") != "QuestionnaireResponse":
        raise FhirError("resourceType must be 'QuestionnaireResponse'")
    _model_validate(QuestionnaireResponse, qr)
    problem = _check_canonical(qr, definition)
    if problem:
        raise FhirError(problem)

    errors: dict[str, str] = {}
    raw: dict[str, list[str]] = {}
    given_totals: dict[str, Any] = {}
    seen: set[str] = set()

    def walk(items: list[Any], parent: str | None) -> None:
        for node in items:
            link_id = node.get("linkId")
            item = definition.items_by_id.get(link_id)
            if item is None:
                errors[link_id] = "this is not a question in this questionnaire"
                continue
            if link_id in seen:
                errors[link_id] = "this item appears more than once"
                continue
            seen.add(link_id)
            expected_parent = definition.parent_of(link_id)
            if expected_parent != parent:
                where = f"inside '{expected_parent}'" if expected_parent else "at the top level"
                errors[link_id] = f"this item belongs {where}"
                continue
            answers = node.get("answer") or []
            if item.type in ("group", "display"):
                if answers:
                    errors[link_id] = f"a {item.type} item cannot have answers"
                    continue
                walk(node.get("item") or [], link_id)
                continue
            if node.get("item"):
                errors[link_id] = "a question cannot have items below it"
                continue
            if item.read_only:
                given_totals[link_id] = [
                    a.get("valueInteger", a.get("valueDecimal")) for a in answers
                ]
                continue
            try:
                raw[link_id] = _answer_strings(item, answers)
            except ValueError as error:
                errors[link_id] = str(error)

    walk(qr.get("item") or [], None)
    cleaned, clean_errors = definition.clean_all(
        raw, complete=qr.get("status") in FINISHED_STATUSES, today=today
    )
    # A problem found while reading an item says more than "please answer" for it.
    errors = {**clean_errors, **errors}

    computed = definition.compute_totals(cleaned)
    for link_id, given in given_totals.items():
        if len(given) > 1:
            errors[link_id] = "a total has one answer"
        elif given and link_id in computed and not _same_number(given[0], computed[link_id]):
            errors[link_id] = (
                f"the total {given[0]} does not match the answers ({computed[link_id]})"
            )
    if errors:
        raise FhirError(errors)
    return cleaned


# --------------------------------------------------------------------------- responses out


def _fhir_answers(item: Item, value: Any) -> list[dict[str, Any]]:
    if item.type == "boolean":
        return [{"valueBoolean": value}]
    if item.type in CHOICE_TYPES:
        out = []
        for code in value if isinstance(value, list) else [value]:
            option = item.option(code)
            if option is None:  # open-choice free text
                out.append({"valueString": code})
                continue
            coding = {"code": option.code, "display": option.display}
            if option.system:
                coding = {"system": option.system, **coding}
            out.append({"valueCoding": coding})
        return out
    if item.type == "integer":
        return [{"valueInteger": value}]
    if item.type == "decimal":
        return [{"valueDecimal": value}]
    if item.type == "date":
        return [{"valueDate": value}]
    return [{"valueString": value}]


def answers_to_response(
    answers: Mapping[str, Any],
    definition: Definition,
    *,
    status: str,
    authored: datetime | str,
    today: date | None = None,
) -> dict[str, Any]:
    """Our answers as a FHIR R4 QuestionnaireResponse (JSON-ready dict), nested as the pages.

    Answers to disabled items are left out; the totals we work out are added so
    other systems see them. ``authored`` must carry a time zone. A finished
    status (completed, amended) needs every required question answered. The
    result is checked with fhir.resources before it is returned.
    """
    if status not in RESPONSE_STATUSES:
        raise FhirError(f"status {status!r} is not a QuestionnaireResponse status")
    if isinstance(authored, datetime):
        if authored.tzinfo is None or authored.utcoffset() is None:
            raise FhirError("authored needs a time zone")
        authored = authored.isoformat()

    cleaned, errors = definition.validate_answers(
        answers, complete=status in FINISHED_STATUSES, today=today
    )
    if errors:
        raise FhirError(errors)
    values: dict[str, Any] = {**cleaned, **definition.compute_totals(cleaned)}

    def build(item: Item) -> dict[str, Any] | None:
        if item.type == "group":
            children = [node for child in item.children if (node := build(child))]
            if not children:
                return None
            return {"linkId": item.link_id, "text": item.text, "item": children}
        if item.link_id not in values:
            return None
        return {
            "linkId": item.link_id,
            "text": item.text,
            "answer": _fhir_answers(item, values[item.link_id]),
        }

    response: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse",
        "questionnaire": definition.canonical,
        "status": status,
        "authored": authored,
    }
    items = [node for page in definition.pages if (node := build(page))]
    if items:
        response["item"] = items
    _model_validate(QuestionnaireResponse, response)
    return response
