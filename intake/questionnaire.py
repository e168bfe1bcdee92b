"""Questionnaires as data: a FHIR R4 Questionnaire read into frozen dataclasses.

Pure Python (no Django), so the portal forms, the command line and the tests all
use the same rules.

Answers are a flat ``dict[linkId, value]``:

======================  ==================================================
item                    Python value
======================  ==================================================
boolean                 ``True`` / ``False``
choice / open-choice    the answer code, ``str`` (open-choice: or free text)
choice, ``repeats``     ``list[str]`` of codes, in the order the options are shown
integer                 ``int``
decimal                 ``float``
date                    ISO ``str``, ``YYYY-MM-DD``
string, text            ``str``
======================  ==================================================

Scored choices (PHQ/GAD items, codes ``"0"``-``"3"``) stay code strings here;
:meth:`Definition.for_advice` turns them into ``int`` scores and adds the totals.
Calculated totals are never stored: they are worked out from the answers.

How ``enableWhen`` is evaluated (FHIR R4/R4B ``Questionnaire.item.enableWhen`` and
the ``QuestionnaireItemOperator`` code system):

- A question that is itself disabled counts as unanswered ("the logic should
  proceed as though the item is not valued"), and so do all items below a
  disabled group.
- ``exists``: true when whether the question has an answer equals the boolean.
- ``=``: true when at least one answer equals the value.
- ``!=``: true when *no* answer equals the value. R4 words it "at least no
  answer has a value that is equal"; R5 makes the intent plain ("no answer").
  So ``!=`` is **true when the question is unanswered**. Write
  ``exists = true`` plus ``!=`` with ``enableBehavior: all`` (or list the
  wanted values with ``=`` and ``any``) to require an answer.
- ``>``, ``<``, ``>=``, ``<=``: true when at least one answer compares so; false
  when unanswered. (R4's "at least no answer ... greater" is a known typo, fixed
  in R5.) Only integer, decimal and date questions may be compared so.
- ``enableBehavior``: ``all`` (every condition) or ``any`` (at least one); required
  when there is more than one condition.
"""

from __future__ import annotations

import copy
import json
import math
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import date
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any, NamedTuple

ANSWER_SYSTEM = "http://previsit.local/fhir/CodeSystem/previsit-answers"
QUESTIONNAIRE_DIR = Path(__file__).resolve().parent / "questionnaires"
GENERAL_PREVISIT = QUESTIONNAIRE_DIR / "general-previsit.json"

EXT_MIN_VALUE = "http://hl7.org/fhir/StructureDefinition/minValue"
EXT_MAX_VALUE = "http://hl7.org/fhir/StructureDefinition/maxValue"
EXT_ORDINAL = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
EXT_OPTION_EXCLUSIVE = "http://hl7.org/fhir/StructureDefinition/questionnaire-optionExclusive"
EXT_HIDDEN = "http://hl7.org/fhir/StructureDefinition/questionnaire-hidden"
EXT_UNIT = "http://hl7.org/fhir/StructureDefinition/questionnaire-unit"
EXT_SHORT_TEXT = "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-shortText"
EXT_CALCULATED = (
    "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-calculatedExpression"
)
EXT_ENABLE_WHEN_EXPRESSION = (
    "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-enableWhenExpression"
)
# Our own, documented: a readOnly integer item whose value is the sum of the scores
# (ordinalValue) of the comma-separated linkIds, present only when every one of them
# is enabled and answered. Our engine reads this; other systems read the FHIRPath
# in the SDC calculatedExpression next to it.
EXT_SUM_OF = "http://previsit.local/fhir/StructureDefinition/sum-of"

NON_FIELD_ERRORS = "__all__"

SUPPORTED_TYPES = frozenset(
    {
        "group",
        "display",
        "boolean",
        "choice",
        "open-choice",
        "integer",
        "decimal",
        "date",
        "string",
        "text",
    }
)
CHOICE_TYPES = frozenset({"choice", "open-choice"})
STRING_TYPES = frozenset({"string", "text"})
ORDERED_TYPES = frozenset({"integer", "decimal", "date"})
OPERATORS = frozenset({"exists", "=", "!=", ">", "<", ">=", "<="})

# The enableWhen answer[x] each question type is compared with.
_ANSWER_KEYS = {
    "boolean": ("answerBoolean",),
    "choice": ("answerCoding",),
    "open-choice": ("answerCoding", "answerString"),
    "integer": ("answerInteger",),
    "decimal": ("answerDecimal", "answerInteger"),
    "date": ("answerDate",),
    "string": ("answerString",),
    "text": ("answerString",),
}
_ALL_ANSWER_KEYS = (
    "answerBoolean",
    "answerDecimal",
    "answerInteger",
    "answerDate",
    "answerDateTime",
    "answerTime",
    "answerString",
    "answerCoding",
    "answerQuantity",
    "answerReference",
)

_INTEGER_RE = re.compile(r"[+-]?[0-9]+")
_DECIMAL_RE = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

Value = bool | str | int | float | list[str]


class DefinitionError(ValueError):
    """The questionnaire cannot be used: invalid, or uses something we do not support."""

    def __init__(self, message: str, *, link_id: str | None = None) -> None:
        self.link_id = link_id
        super().__init__(f"Item '{link_id}': {message}" if link_id else message)


@dataclass(frozen=True)
class Option:
    code: str
    display: str
    ordinal: int | float | None = None
    exclusive: bool = False
    system: str | None = None


@dataclass(frozen=True)
class EnableWhen:
    question: str
    operator: str
    # bool, a code (str), int, float, an ISO date (str) or free text (str)
    answer: bool | str | int | float


@dataclass(frozen=True)
class Item:
    link_id: str
    text: str
    type: str
    required: bool = False
    repeats: bool = False
    read_only: bool = False
    options: tuple[Option, ...] = ()
    enable_when: tuple[EnableWhen, ...] = ()
    enable_behavior: str | None = None
    max_length: int | None = None
    min_value: int | float | str | None = None
    max_value: int | float | str | None = None
    sum_of: tuple[str, ...] = ()
    children: tuple[Item, ...] = ()
    short_text: str | None = None
    hidden: bool = False
    unit: str | None = None

    @property
    def is_question(self) -> bool:
        """An item the patient answers (not a group, a display text or a calculated total)."""
        return self.type not in ("group", "display") and not self.read_only

    @property
    def scored(self) -> bool:
        """A single choice whose every option has a score (the PHQ and GAD items)."""
        return (
            self.type == "choice"
            and not self.repeats
            and bool(self.options)
            and all(o.ordinal is not None for o in self.options)
        )

    def option(self, code: str) -> Option | None:
        for option in self.options:
            if option.code == code:
                return option
        return None

    def walk(self) -> Iterator[Item]:
        """This item and everything below it, in questionnaire order."""
        yield self
        for child in self.children:
            yield from child.walk()


class PageProgress(NamedTuple):
    number: int  # 1-based position among the pages the patient sees
    total: int  # how many pages the patient sees

    @property
    def percent(self) -> int:
        return round(100 * self.number / self.total) if self.total else 100


# --------------------------------------------------------------------------- parsing


def _extensions(node: Mapping[str, Any], url: str) -> list[Mapping[str, Any]]:
    return [
        e for e in node.get("extension") or () if isinstance(e, Mapping) and e.get("url") == url
    ]


def _extension_value(node: Mapping[str, Any], url: str, link_id: str, keys: tuple[str, ...]):
    found = _extensions(node, url)
    if not found:
        return None
    if len(found) > 1:
        raise DefinitionError(f"more than one {url} extension", link_id=link_id)
    for key in keys:
        if key in found[0]:
            return found[0][key]
    raise DefinitionError(f"extension {url} needs one of {', '.join(keys)}", link_id=link_id)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _parse_iso_date(value: Any) -> date | None:
    if not isinstance(value, str) or not _DATE_RE.fullmatch(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _parse_option(raw: Any, link_id: str, repeats: bool) -> Option:
    if not isinstance(raw, Mapping):
        raise DefinitionError("answerOption must be an object", link_id=link_id)
    if "valueCoding" not in raw:
        other = [k for k in raw if k.startswith("value")]
        raise DefinitionError(
            f"answerOption {', '.join(other) or 'without a value'} is not supported; "
            "use valueCoding",
            link_id=link_id,
        )
    coding = raw["valueCoding"]
    code = coding.get("code") if isinstance(coding, Mapping) else None
    display = coding.get("display") if isinstance(coding, Mapping) else None
    if not isinstance(code, str) or not code or code != code.strip():
        raise DefinitionError(f"answerOption has a bad code {code!r}", link_id=link_id)
    if not isinstance(display, str) or not display.strip():
        raise DefinitionError(f"answerOption '{code}' needs a display", link_id=link_id)
    ordinal = _extension_value(raw, EXT_ORDINAL, link_id, ("valueDecimal", "valueInteger"))
    if ordinal is not None:
        if not _is_number(ordinal):
            raise DefinitionError(f"answerOption '{code}' has a bad ordinalValue", link_id=link_id)
        ordinal = int(ordinal) if float(ordinal).is_integer() else float(ordinal)
    exclusive = _extension_value(raw, EXT_OPTION_EXCLUSIVE, link_id, ("valueBoolean",))
    if exclusive is not None and not isinstance(exclusive, bool):
        raise DefinitionError(
            f"answerOption '{code}' optionExclusive must be boolean", link_id=link_id
        )
    if exclusive and not repeats:
        raise DefinitionError(
            f"answerOption '{code}' is exclusive but the item does not repeat", link_id=link_id
        )
    system = coding.get("system")
    if system is not None and not isinstance(system, str):
        raise DefinitionError(f"answerOption '{code}' has a bad system", link_id=link_id)
    return Option(
        code=code, display=display, ordinal=ordinal, exclusive=bool(exclusive), system=system
    )


def _parse_enable_when(raw: Any, link_id: str) -> tuple[str, str, str, Any]:
    """Shape only; checking against the question's type waits until every item is known."""
    if not isinstance(raw, Mapping):
        raise DefinitionError("enableWhen must be an object", link_id=link_id)
    question, operator = raw.get("question"), raw.get("operator")
    if not isinstance(question, str) or not question:
        raise DefinitionError("enableWhen needs a question", link_id=link_id)
    if operator not in OPERATORS:
        raise DefinitionError(
            f"enableWhen operator {operator!r} is not a FHIR operator", link_id=link_id
        )
    keys = [k for k in _ALL_ANSWER_KEYS if k in raw]
    if len(keys) != 1:
        raise DefinitionError("enableWhen needs exactly one answer[x]", link_id=link_id)
    return question, operator, keys[0], raw[keys[0]]


def _bound(raw: Mapping[str, Any], url: str, type_: str, link_id: str):
    if type_ == "integer":
        value = _extension_value(raw, url, link_id, ("valueInteger",))
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
            raise DefinitionError(f"{url} must be a valueInteger", link_id=link_id)
        return value
    if type_ == "decimal":
        value = _extension_value(raw, url, link_id, ("valueDecimal", "valueInteger"))
        if value is not None and not _is_number(value):
            raise DefinitionError(f"{url} must be a number", link_id=link_id)
        return None if value is None else float(value)
    if type_ == "date":
        value = _extension_value(raw, url, link_id, ("valueDate",))
        if value is not None and _parse_iso_date(value) is None:
            raise DefinitionError(f"{url} must be a full date (YYYY-MM-DD)", link_id=link_id)
        return value
    if _extensions(raw, url):
        raise DefinitionError(f"{url} is not allowed on a {type_} item", link_id=link_id)
    return None


def _parse_item(raw: Any, pending: list[tuple[str, list]]) -> Item:
    if not isinstance(raw, Mapping):
        raise DefinitionError("every item must be an object")
    link_id = raw.get("linkId")
    if not isinstance(link_id, str) or not link_id.strip():
        raise DefinitionError(f"an item has a bad linkId {link_id!r}")
    if link_id == NON_FIELD_ERRORS:
        raise DefinitionError("this linkId is reserved", link_id=link_id)
    type_ = raw.get("type")
    if type_ not in SUPPORTED_TYPES:
        raise DefinitionError(f"type {type_!r} is not supported", link_id=link_id)
    text = raw.get("text")
    if not isinstance(text, str) or not text.strip():
        raise DefinitionError("every item needs a text", link_id=link_id)
    if raw.get("modifierExtension"):
        raise DefinitionError("modifierExtension is not supported", link_id=link_id)
    for unsupported in ("answerValueSet", "initial", "enableWhenExpression"):
        if unsupported in raw:
            raise DefinitionError(f"{unsupported} is not supported", link_id=link_id)
    if _extensions(raw, EXT_ENABLE_WHEN_EXPRESSION):
        raise DefinitionError("enableWhenExpression is not supported", link_id=link_id)

    flags = {}
    for key in ("required", "repeats", "readOnly"):
        value = raw.get(key, False)
        if not isinstance(value, bool):
            raise DefinitionError(f"{key} must be true or false", link_id=link_id)
        flags[key] = value
    is_container = type_ in ("group", "display")
    if type_ == "display" and (flags["required"] or flags["repeats"] or flags["readOnly"]):
        raise DefinitionError(
            "a display item cannot be required, repeat or be readOnly", link_id=link_id
        )
    if type_ == "group" and (flags["repeats"] or flags["readOnly"]):
        raise DefinitionError("repeating or readOnly groups are not supported", link_id=link_id)
    if flags["repeats"] and type_ not in CHOICE_TYPES and not is_container:
        raise DefinitionError(
            f"repeats is only supported on choice items, not {type_}", link_id=link_id
        )

    children_raw = raw.get("item") or []
    if type_ == "group" and not children_raw:
        raise DefinitionError("a group needs items", link_id=link_id)
    if children_raw and type_ != "group":
        raise DefinitionError("only groups can have items below them", link_id=link_id)

    options_raw = raw.get("answerOption") or []
    if type_ in CHOICE_TYPES and not options_raw:
        raise DefinitionError("a choice item needs answerOption", link_id=link_id)
    if options_raw and type_ not in CHOICE_TYPES:
        raise DefinitionError("only choice items can have answerOption", link_id=link_id)
    options = tuple(_parse_option(o, link_id, flags["repeats"]) for o in options_raw)
    codes = [o.code for o in options]
    if len(set(codes)) != len(codes):
        raise DefinitionError("two answerOptions share a code", link_id=link_id)

    max_length = raw.get("maxLength")
    if max_length is not None:
        if type_ not in STRING_TYPES and type_ != "open-choice":
            raise DefinitionError(f"maxLength is not allowed on a {type_} item", link_id=link_id)
        if not isinstance(max_length, int) or isinstance(max_length, bool) or max_length < 1:
            raise DefinitionError("maxLength must be a positive whole number", link_id=link_id)

    min_value = _bound(raw, EXT_MIN_VALUE, type_, link_id)
    max_value = _bound(raw, EXT_MAX_VALUE, type_, link_id)
    if min_value is not None and max_value is not None and min_value > max_value:
        raise DefinitionError("minValue is above maxValue", link_id=link_id)

    sum_of_raw = _extension_value(raw, EXT_SUM_OF, link_id, ("valueString",))
    sum_of: tuple[str, ...] = ()
    if sum_of_raw is not None:
        if type_ != "integer" or not flags["readOnly"]:
            raise DefinitionError("sum-of needs a readOnly integer item", link_id=link_id)
        sum_of = tuple(part.strip() for part in str(sum_of_raw).split(","))
        if not all(sum_of) or len(set(sum_of)) != len(sum_of):
            raise DefinitionError(f"sum-of has a bad list {sum_of_raw!r}", link_id=link_id)
    elif _extensions(raw, EXT_CALCULATED):
        raise DefinitionError(
            "calculatedExpression without our sum-of extension is not supported", link_id=link_id
        )
    if flags["readOnly"] and not sum_of:
        raise DefinitionError(
            "readOnly is only supported on calculated (sum-of) items", link_id=link_id
        )

    enable_raw = raw.get("enableWhen") or []
    behavior = raw.get("enableBehavior")
    if behavior is not None and behavior not in ("all", "any"):
        raise DefinitionError(
            f"enableBehavior {behavior!r} must be 'all' or 'any'", link_id=link_id
        )
    if len(enable_raw) > 1 and behavior is None:
        raise DefinitionError("more than one enableWhen needs enableBehavior", link_id=link_id)
    pending.append((link_id, [_parse_enable_when(e, link_id) for e in enable_raw]))

    short_text = _extension_value(raw, EXT_SHORT_TEXT, link_id, ("valueString",))
    hidden = _extension_value(raw, EXT_HIDDEN, link_id, ("valueBoolean",))
    unit = _extension_value(raw, EXT_UNIT, link_id, ("valueCoding",))
    if unit is not None:
        unit = unit.get("display") or unit.get("code") if isinstance(unit, Mapping) else None

    return Item(
        link_id=link_id,
        text=text.strip(),
        type=type_,
        required=flags["required"],
        repeats=flags["repeats"],
        read_only=flags["readOnly"],
        options=options,
        enable_behavior=behavior,
        max_length=max_length,
        min_value=min_value,
        max_value=max_value,
        sum_of=sum_of,
        children=tuple(_parse_item(child, pending) for child in children_raw),
        short_text=short_text if isinstance(short_text, str) and short_text.strip() else None,
        hidden=bool(hidden),
        unit=unit,
    )


def _check_enable_answer(
    link_id: str, question: Item, operator: str, key: str, value: Any
) -> bool | str | int | float:
    """The enableWhen answer as a Python value, checked against the question's type."""

    def bad(reason: str) -> DefinitionError:
        return DefinitionError(f"enableWhen on '{question.link_id}': {reason}", link_id=link_id)

    if operator == "exists":
        if key != "answerBoolean" or not isinstance(value, bool):
            raise bad("'exists' needs answerBoolean")
        return value
    if operator in ("=", "!=") and question.type not in _ANSWER_KEYS:
        raise bad(f"cannot compare a {question.type} item")
    if operator not in ("=", "!=") and question.type not in ORDERED_TYPES:
        raise bad(f"operator '{operator}' is not allowed for a {question.type} item")
    if key not in _ANSWER_KEYS[question.type]:
        raise bad(f"{key} does not match a {question.type} item")
    if key == "answerBoolean":
        if not isinstance(value, bool):
            raise bad("answerBoolean must be true or false")
        return value
    if key == "answerCoding":
        code = value.get("code") if isinstance(value, Mapping) else None
        option = question.option(code) if isinstance(code, str) else None
        if option is None:
            raise bad(f"code {code!r} is not one of its options")
        system = value.get("system")
        if system is not None and option.system is not None and system != option.system:
            raise bad(f"code '{code}' has system {system!r}, the option has {option.system!r}")
        return code
    if key == "answerInteger":
        if not isinstance(value, int) or isinstance(value, bool):
            raise bad("answerInteger must be a whole number")
        return value
    if key == "answerDecimal":
        if not _is_number(value):
            raise bad("answerDecimal must be a number")
        return float(value)
    if key == "answerDate":
        if _parse_iso_date(value) is None:
            raise bad("answerDate must be a full date (YYYY-MM-DD)")
        return value
    if not isinstance(value, str):
        raise bad("answerString must be text")
    return value


def _find_cycle(edges: Mapping[str, Iterable[str]]) -> list[str] | None:
    WHITE, GREY, BLACK = 0, 1, 2
    colour = dict.fromkeys(edges, WHITE)
    for start in edges:
        if colour[start] != WHITE:
            continue
        stack: list[tuple[str, Iterator[str]]] = [(start, iter(edges[start]))]
        path = [start]
        colour[start] = GREY
        while stack:
            node, children = stack[-1]
            for child in children:
                if colour.get(child, BLACK) == GREY:
                    return [*path[path.index(child) :], child]
                if colour.get(child) == WHITE:
                    colour[child] = GREY
                    stack.append((child, iter(edges[child])))
                    path.append(child)
                    break
            else:
                colour[node] = BLACK
                stack.pop()
                path.pop()
    return None


# --------------------------------------------------------------------------- evaluation


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or (isinstance(value, list | tuple) and not value)


def _same(answer: Any, expected: Any) -> bool:
    # bool is an int in Python: keep True from matching 1.
    if isinstance(expected, bool) or isinstance(answer, bool):
        return isinstance(answer, bool) and isinstance(expected, bool) and answer is expected
    return answer == expected


def _compare(answer: Any, operator: str, expected: Any) -> bool:
    if isinstance(answer, bool) or isinstance(expected, bool):
        return False
    try:
        if operator == ">":
            return answer > expected
        if operator == "<":
            return answer < expected
        if operator == ">=":
            return answer >= expected
        return answer <= expected
    except TypeError:
        return False


class _State:
    """Enabled-ness and effective values for one set of answers, worked out lazily.

    The dependency graph (enableWhen, parent groups, sum-of) is checked acyclic when
    the definition is parsed, so the recursion ends.
    """

    def __init__(self, definition: Definition, answers: Mapping[str, Any]) -> None:
        self.definition = definition
        self.answers = answers
        self._enabled: dict[str, bool] = {}
        self._totals: dict[str, int | float | None] = {}

    def enabled(self, link_id: str) -> bool:
        if link_id not in self._enabled:
            self._enabled[link_id] = self._work_out_enabled(link_id)
        return self._enabled[link_id]

    def _work_out_enabled(self, link_id: str) -> bool:
        parent = self.definition._parents[link_id]
        if parent is not None and not self.enabled(parent):
            return False
        item = self.definition.items_by_id[link_id]
        if not item.enable_when:
            return True
        results = (self._condition(ew) for ew in item.enable_when)
        return any(results) if item.enable_behavior == "any" else all(results)

    def value(self, link_id: str) -> Any:
        """The answer as enableWhen sees it: None when disabled or unanswered."""
        item = self.definition.items_by_id[link_id]
        if not self.enabled(link_id):
            return None
        if item.sum_of:
            return self.total(link_id)
        value = self.answers.get(link_id)
        return None if _is_empty(value) else value

    def total(self, link_id: str) -> int | float | None:
        if link_id not in self._totals:
            self._totals[link_id] = self._work_out_total(link_id)
        return self._totals[link_id]

    def _work_out_total(self, link_id: str) -> int | float | None:
        total: int | float = 0
        for part in self.definition.items_by_id[link_id].sum_of:
            score = self.definition._score(part, self.value(part))
            if score is None:
                return None
            total += score
        return total

    def _condition(self, condition: EnableWhen) -> bool:
        value = self.value(condition.question)
        answers = [] if value is None else list(value) if isinstance(value, list) else [value]
        if condition.operator == "exists":
            return bool(answers) is condition.answer
        if condition.operator == "=":
            return any(_same(a, condition.answer) for a in answers)
        if condition.operator == "!=":
            return not any(_same(a, condition.answer) for a in answers)
        return any(_compare(a, condition.operator, condition.answer) for a in answers)


# --------------------------------------------------------------------------- the definition


class _Invalid(Exception):
    pass


@dataclass(frozen=True, eq=False)
class Definition:
    url: str
    version: str | None
    name: str | None
    title: str | None
    pages: tuple[Item, ...]
    items_by_id: Mapping[str, Item]
    _parents: Mapping[str, str | None]
    _source: Mapping[str, Any]

    def __repr__(self) -> str:
        return f"<Definition {self.canonical}>"

    # ----------------------------------------------------------------- loading

    @classmethod
    def from_fhir(cls, resource: Mapping[str, Any]) -> Definition:
        """Read a FHIR R4 Questionnaire (parsed JSON); DefinitionError names the item at fault."""
        if not isinstance(resource, Mapping) or resource.get("resourceType") != "Questionnaire":
            raise DefinitionError("not a FHIR Questionnaire (resourceType)")
        url = resource.get("url")
        if not isinstance(url, str) or not url or "|" in url:
            raise DefinitionError("the questionnaire needs a canonical url")
        version = resource.get("version")
        if version is not None and (not isinstance(version, str) or "|" in version):
            raise DefinitionError("version must be text without '|'")
        if resource.get("modifierExtension"):
            raise DefinitionError("modifierExtension is not supported")
        pages_raw = resource.get("item") or []
        if not pages_raw:
            raise DefinitionError("the questionnaire has no pages")

        pending: list[tuple[str, list]] = []
        pages = tuple(_parse_item(raw, pending) for raw in pages_raw)
        for page in pages:
            if page.type != "group":
                raise DefinitionError(
                    "every top-level item must be a group (a page)", link_id=page.link_id
                )

        items: dict[str, Item] = {}
        parents: dict[str, str | None] = {}

        def index(item: Item, parent: str | None) -> None:
            if item.link_id in items:
                raise DefinitionError("the linkId is used twice", link_id=item.link_id)
            items[item.link_id] = item
            parents[item.link_id] = parent
            for child in item.children:
                index(child, item.link_id)

        for page in pages:
            index(page, None)

        # enableWhen, now that every item is known
        for link_id, conditions in pending:
            parsed = []
            for question_id, operator, key, value in conditions:
                question = items.get(question_id)
                if question is None:
                    raise DefinitionError(
                        f"enableWhen names unknown item '{question_id}'", link_id=link_id
                    )
                if question_id == link_id:
                    raise DefinitionError("enableWhen names the item itself", link_id=link_id)
                if question.type in ("group", "display"):
                    raise DefinitionError(
                        f"enableWhen names '{question_id}', a {question.type} with no answer",
                        link_id=link_id,
                    )
                answer = _check_enable_answer(link_id, question, operator, key, value)
                parsed.append(EnableWhen(question_id, operator, answer))
            items[link_id] = replace(items[link_id], enable_when=tuple(parsed))

        for item in items.values():
            for part in item.sum_of:
                summed = items.get(part)
                if summed is None:
                    raise DefinitionError(
                        f"sum-of names unknown item '{part}'", link_id=item.link_id
                    )
                if not (summed.scored or summed.type == "integer"):
                    raise DefinitionError(
                        f"sum-of names '{part}', which is neither scored nor an integer",
                        link_id=item.link_id,
                    )

        edges = {
            link_id: [
                *(ew.question for ew in item.enable_when),
                *([parents[link_id]] if parents[link_id] else []),
                *item.sum_of,
            ]
            for link_id, item in items.items()
        }
        cycle = _find_cycle(edges)
        if cycle:
            raise DefinitionError(
                f"items depend on each other in a loop: {' -> '.join(cycle)}", link_id=cycle[0]
            )

        # Rebuild the tree so that pages and children carry the parsed enableWhen.
        def rebuild(item: Item) -> Item:
            new = replace(items[item.link_id], children=tuple(rebuild(c) for c in item.children))
            items[item.link_id] = new
            return new

        pages = tuple(rebuild(page) for page in pages)
        return cls(
            url=url,
            version=version,
            name=resource.get("name"),
            title=resource.get("title"),
            pages=pages,
            items_by_id=MappingProxyType(items),
            _parents=MappingProxyType(parents),
            _source=MappingProxyType(copy.deepcopy(dict(resource))),
        )

    def to_fhir(self) -> dict[str, Any]:
        """The questionnaire exactly as it was read (a copy), for export."""
        return copy.deepcopy(dict(self._source))

    @property
    def canonical(self) -> str:
        """``url|version``, as a QuestionnaireResponse names its questionnaire."""
        return f"{self.url}|{self.version}" if self.version else self.url

    # ----------------------------------------------------------------- structure

    def page(self, page_link_id: str) -> Item:
        for page in self.pages:
            if page.link_id == page_link_id:
                return page
        raise KeyError(f"no page '{page_link_id}' in {self.url}")

    def page_of(self, link_id: str) -> Item:
        while (parent := self._parents[link_id]) is not None:
            link_id = parent
        return self.items_by_id[link_id]

    def parent_of(self, link_id: str) -> str | None:
        return self._parents[link_id]

    def questions(self, page_link_id: str | None = None) -> list[Item]:
        """Items the patient answers, in order: on one page, or in the whole questionnaire."""
        roots = [self.page(page_link_id)] if page_link_id else self.pages
        return [item for root in roots for item in root.walk() if item.is_question]

    def page_questions(self, page_link_id: str) -> list[Item]:
        """The questions on one page, in order (groups, display texts and totals left out)."""
        return self.questions(page_link_id)

    def page_item_ids(self, page_link_id: str) -> frozenset[str]:
        """Every linkId on the page, the page's own and its groups' included."""
        return frozenset(item.link_id for item in self.page(page_link_id).walk())

    def _score(self, link_id: str, value: Any) -> int | float | None:
        if value is None:
            return None
        item = self.items_by_id[link_id]
        if item.scored:
            option = item.option(value) if isinstance(value, str) else None
            return option.ordinal if option else None
        return value if _is_number(value) else None

    # ----------------------------------------------------------------- evaluation

    def enabled(self, link_id: str, answers: Mapping[str, Any]) -> bool:
        """Whether the item is shown and asked, given the answers (its groups count too)."""
        if link_id not in self.items_by_id:
            raise KeyError(f"no item '{link_id}' in {self.url}")
        return _State(self, answers).enabled(link_id)

    def compute_totals(self, answers: Mapping[str, Any]) -> dict[str, int | float]:
        """The totals that can be worked out: each enabled, with every one of its parts answered."""
        state = _State(self, answers)
        totals = {}
        for link_id, item in self.items_by_id.items():
            if item.sum_of and (value := state.value(link_id)) is not None:
                totals[link_id] = value
        return totals

    def prune(self, answers: Mapping[str, Any]) -> dict[str, Value]:
        """Keep only answers to enabled questions (unknown ids and totals go too).

        Dropping an answer can disable another item, so this runs until nothing
        changes; changing an earlier answer therefore removes answers it now hides.
        """
        current = {k: _copy_value(v) for k, v in answers.items()}
        while True:
            state = _State(self, current)
            kept = {
                link_id: value
                for link_id, value in current.items()
                if link_id in self.items_by_id
                and self.items_by_id[link_id].is_question
                and not _is_empty(value)
                and state.enabled(link_id)
            }
            if kept == current:
                return self._ordered(kept)
            current = kept

    def for_advice(self, answers: Mapping[str, Any]) -> dict[str, Value]:
        """The answers as ``advice`` reads them (docs/answers.md).

        Disabled items dropped, scored choices as their ``int`` score, totals added.
        """
        pruned = self.prune(answers)
        out: dict[str, Value] = {}
        for link_id, value in pruned.items():
            item = self.items_by_id[link_id]
            out[link_id] = self._score(link_id, value) if item.scored else value
        out.update(self.compute_totals(pruned))
        return out

    def _ordered(self, answers: Mapping[str, Any]) -> dict[str, Any]:
        return {k: answers[k] for k in self.items_by_id if k in answers}

    # ----------------------------------------------------------------- validation

    def clean_page(
        self,
        page_link_id: str,
        raw: Mapping[str, Any],
        current_answers: Mapping[str, Any],
        *,
        today: date | None = None,
    ) -> tuple[dict[str, Value], dict[str, str]]:
        """Validate one posted page.

        ``raw`` maps linkId to the posted strings (a list per field, as
        ``QueryDict.lists()`` gives; a Django ``QueryDict`` itself works too). It
        must hold only answer fields: strip the CSRF token and buttons first, as
        any other key is reported under ``"__all__"``. Blank strings count as no
        answer. Which items are enabled is decided on ``current_answers`` with
        this page's answers replacing whatever it held before; answers to
        disabled items are dropped without an error. Dates may not be in the
        future (``today`` defaults to the machine's date: pass the clinic's).

        Returns ``(cleaned, errors)``: ``cleaned`` holds this page's answers
        only; merge it with :meth:`with_page`.
        """
        page = self.page(page_link_id)
        scope = [item for item in page.walk() if item.is_question]
        return self._clean(
            _normalise_raw(raw),
            scope,
            {k: v for k, v in current_answers.items() if self._page_id_of(k) != page_link_id},
            require=True,
            today=today,
            outside="these are not questions on this page",
        )

    def with_page(
        self, answers: Mapping[str, Any], page_link_id: str, cleaned: Mapping[str, Any]
    ) -> dict[str, Value]:
        """The answers with one page's answers replaced by ``cleaned``, then pruned."""
        page_ids = {item.link_id for item in self.page(page_link_id).walk()}
        merged = {k: v for k, v in answers.items() if k not in page_ids}
        merged.update(cleaned)
        return self.prune(merged)

    def clean_all(
        self,
        raw: Mapping[str, Any],
        *,
        complete: bool = True,
        today: date | None = None,
    ) -> tuple[dict[str, Value], dict[str, str]]:
        """Validate a whole set of raw answers at once (every page), as clean_page does.

        With ``complete=False`` required questions may be left unanswered (a
        response still in progress).
        """
        return self._clean(
            _normalise_raw(raw),
            self.questions(),
            {},
            require=complete,
            today=today,
            outside="these are not questions in this questionnaire",
        )

    def validate_answers(
        self, answers: Mapping[str, Any], *, complete: bool = True, today: date | None = None
    ) -> tuple[dict[str, Value], dict[str, str]]:
        """Check stored answers (Python values) with the same rules as a posted page."""
        raw: dict[str, list[str]] = {}
        type_errors: dict[str, str] = {}
        unknown: list[str] = []
        for link_id, value in answers.items():
            item = self.items_by_id.get(link_id)
            if item is None or not item.is_question:
                unknown.append(link_id)
                continue
            try:
                raw[link_id] = to_raw(item, value)
            except _Invalid as error:
                type_errors[link_id] = str(error)
        cleaned, errors = self.clean_all(raw, complete=complete, today=today)
        for link_id, message in type_errors.items():
            if self._is_enabled_given(link_id, cleaned):
                errors[link_id] = message
        if unknown:
            errors[NON_FIELD_ERRORS] = _unknown_message(
                "these are not questions in this questionnaire", unknown
            )
        return cleaned, errors

    def _page_id_of(self, link_id: str) -> str | None:
        return self.page_of(link_id).link_id if link_id in self.items_by_id else None

    def _is_enabled_given(self, link_id: str, answers: Mapping[str, Any]) -> bool:
        return _State(self, answers).enabled(link_id)

    def _clean(
        self,
        raw: dict[str, list[str]],
        scope: list[Item],
        base: Mapping[str, Any],
        *,
        require: bool,
        today: date | None,
        outside: str,
    ) -> tuple[dict[str, Value], dict[str, str]]:
        today = today or date.today()
        scope_ids = {item.link_id for item in scope}
        unknown = [k for k in raw if k not in scope_ids]

        values: dict[str, Value] = {}
        parse_errors: dict[str, str] = {}
        for item in scope:
            strings = raw.get(item.link_id, [])
            try:
                value = _parse(item, strings, today)
            except _Invalid as error:
                parse_errors[item.link_id] = str(error)
                continue
            if value is not None:
                values[item.link_id] = value

        state = _State(self, {**base, **values})
        cleaned: dict[str, Value] = {}
        errors: dict[str, str] = {}
        for item in scope:
            if not state.enabled(item.link_id):
                continue  # hidden: whatever was posted is dropped, never stored
            if item.link_id in parse_errors:
                errors[item.link_id] = parse_errors[item.link_id]
            elif item.link_id in values:
                cleaned[item.link_id] = values[item.link_id]
            elif require and item.required:
                errors[item.link_id] = _required_message(item)
        if unknown:
            errors[NON_FIELD_ERRORS] = _unknown_message(outside, unknown)
        return cleaned, errors

    # ----------------------------------------------------------------- navigation

    def visible_pages(self, answers: Mapping[str, Any]) -> list[Item]:
        """Pages with at least one enabled question (display texts and totals do not count)."""
        state = _State(self, answers)
        return [
            page
            for page in self.pages
            if any(state.enabled(q.link_id) for q in page.walk() if q.is_question)
        ]

    def incomplete_pages(self, answers: Mapping[str, Any]) -> list[str]:
        """Pages the patient sees that still have an enabled required question unanswered."""
        state = _State(self, answers)
        return [
            page.link_id
            for page in self.visible_pages(answers)
            if any(
                q.is_question
                and q.required
                and state.enabled(q.link_id)
                and state.value(q.link_id) is None
                for q in page.walk()
            )
        ]

    def first_unanswered_page(
        self, answers: Mapping[str, Any], *, seen: Iterable[str] = ()
    ) -> Item | None:
        """The first page the patient still has to fill in, or None when all are done.

        A page is done when every enabled required question is answered and
        either it is in ``seen`` (pages the patient has submitted, even with
        every optional question blank) or at least one of its questions is answered.
        """
        seen = set(seen)
        state = _State(self, answers)
        for page in self.visible_pages(answers):
            asked = [q for q in page.walk() if q.is_question and state.enabled(q.link_id)]
            answered = {q.link_id for q in asked if state.value(q.link_id) is not None}
            if any(q.required and q.link_id not in answered for q in asked):
                return page
            if page.link_id not in seen and not answered:
                return page
        return None

    def page_progress(self, page_link_id: str, answers: Mapping[str, Any]) -> PageProgress:
        """Where this page sits among the pages the patient sees (``3 of 7``)."""
        self.page(page_link_id)
        visible = [p.link_id for p in self.visible_pages(answers)]
        order = [p.link_id for p in self.pages]
        position = order.index(page_link_id)
        before = sum(1 for link_id in visible if order.index(link_id) < position)
        return PageProgress(number=before + 1, total=max(len(visible), before + 1))


def _copy_value(value: Any) -> Any:
    return list(value) if isinstance(value, list | tuple) else value


# --------------------------------------------------------------------------- raw values


def _normalise_raw(raw: Mapping[str, Any]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    getlist = getattr(raw, "getlist", None)
    for key in raw:
        values = getlist(key) if callable(getlist) else raw[key]
        if values is None:
            values = []
        elif isinstance(values, str) or not isinstance(values, Iterable):
            values = [values]
        out[str(key)] = ["" if v is None else str(v) for v in values]
    return out


def to_raw(item: Item, value: Any) -> list[str]:
    """A stored Python value as the strings a form would post (raises on a wrong type)."""
    if _is_empty(value):
        return []
    if item.type == "boolean":
        if not isinstance(value, bool):
            raise _Invalid(f"Please answer yes or no for '{item.text}'.")
        return ["true" if value else "false"]
    if item.type in CHOICE_TYPES:
        values = value if isinstance(value, list | tuple) else [value]
        if not all(isinstance(v, str) for v in values):
            raise _Invalid(f"The answer to '{item.text}' must be one of its choices.")
        return list(values)
    if item.type == "integer":
        if not isinstance(value, int) or isinstance(value, bool):
            raise _Invalid(_number_message(item, whole=True))
        return [str(value)]
    if item.type == "decimal":
        if not _is_number(value):
            raise _Invalid(_number_message(item, whole=False))
        return [repr(float(value))]
    if item.type == "date":
        if isinstance(value, date):
            return [value.isoformat()]
        if not isinstance(value, str):
            raise _Invalid(f"Please give a date like 2024-05-31 for '{item.text}'.")
        return [value]
    if not isinstance(value, str):
        raise _Invalid(f"The answer to '{item.text}' must be text.")
    return [value]


def _fmt(number: int | float | str | None) -> str:
    if isinstance(number, float) and number.is_integer():
        return str(int(number))
    return str(number)


def _subject(item: Item) -> str:
    return item.short_text or f"The answer to '{item.text}'"


def _number_message(item: Item, *, whole: bool) -> str:
    kind = "a whole number" if whole else "a number"
    unit = f" {item.unit}" if item.unit else ""
    if item.min_value is not None and item.max_value is not None:
        bounds = f" from {_fmt(item.min_value)} to {_fmt(item.max_value)}{unit}"
    elif item.min_value is not None:
        bounds = f" of {_fmt(item.min_value)}{unit} or more"
    elif item.max_value is not None:
        bounds = f" of {_fmt(item.max_value)}{unit} or less"
    else:
        bounds = ""
    return f"{_subject(item)} must be {kind}{bounds}."


def _required_message(item: Item) -> str:
    if item.type in CHOICE_TYPES or item.type == "boolean":
        return f"Please choose an answer for '{item.text}'."
    return f"Please answer '{item.text}'."


def _unknown_message(outside: str, link_ids: list[str]) -> str:
    return f"{outside[0].upper()}{outside[1:]}: {', '.join(sorted(link_ids))}."


def _parse(item: Item, strings: list[str], today: date) -> Value | None:
    """Posted strings to the item's Python value (None: not answered); _Invalid says why not."""
    if item.type == "text":
        strings = [s.replace("\r\n", "\n").strip() for s in strings]
    else:
        strings = [s.strip() for s in strings]
    strings = [s for s in strings if s]
    if not strings:
        return None
    if len(strings) > 1 and not item.repeats:
        if item.type in CHOICE_TYPES or item.type == "boolean":
            raise _Invalid(f"Please choose only one answer for '{item.text}'.")
        raise _Invalid(f"Please give only one answer for '{item.text}'.")

    if item.type == "boolean":
        lowered = strings[0].lower()
        if lowered not in ("true", "false"):
            raise _Invalid(f"Please answer yes or no for '{item.text}'.")
        return lowered == "true"

    if item.type in CHOICE_TYPES:
        return _parse_choice(item, strings)

    text = strings[0]
    if item.type == "integer":
        if not _INTEGER_RE.fullmatch(text):
            raise _Invalid(_number_message(item, whole=True))
        number: int | float = int(text)
        _check_range(item, number, whole=True)
        return number

    if item.type == "decimal":
        # A phone keyboard in many countries offers a comma for the decimal point.
        if text.count(",") == 1 and "." not in text:
            text = text.replace(",", ".")
        if not _DECIMAL_RE.fullmatch(text):
            raise _Invalid(_number_message(item, whole=False))
        number = float(text)
        _check_range(item, number, whole=False)
        return number

    if item.type == "date":
        parsed = _parse_iso_date(text)
        if parsed is None:
            raise _Invalid(f"Please give a date like 2024-05-31 for '{item.text}'.")
        # Every date we ask about (birth, when something started) is in the past.
        if parsed > today:
            raise _Invalid(f"The date for '{item.text}' cannot be in the future.")
        if item.min_value is not None and text < item.min_value:
            raise _Invalid(f"The date for '{item.text}' must be on or after {item.min_value}.")
        if item.max_value is not None and text > item.max_value:
            raise _Invalid(f"The date for '{item.text}' must be on or before {item.max_value}.")
        return text

    _check_length(item, text)
    return text


def _check_range(item: Item, number: int | float, *, whole: bool) -> None:
    if (item.min_value is not None and number < item.min_value) or (
        item.max_value is not None and number > item.max_value
    ):
        raise _Invalid(_number_message(item, whole=whole))


def _check_length(item: Item, text: str) -> None:
    if item.max_length is not None and len(text) > item.max_length:
        raise _Invalid(
            f"Please keep your answer to '{item.text}' to {item.max_length} characters "
            f"or fewer (it has {len(text)})."
        )


def _parse_choice(item: Item, strings: list[str]) -> str | list[str]:
    chosen: list[str] = []
    free_text: list[str] = []
    for value in strings:
        if item.option(value) is not None:
            if value not in chosen:
                chosen.append(value)
        elif item.type == "open-choice" and not item.repeats:
            free_text.append(value)
        else:
            raise _Invalid(f"'{value}' is not one of the choices for '{item.text}'.")
    if free_text:
        _check_length(item, free_text[0])
        return free_text[0]
    exclusive = [item.option(c) for c in chosen if item.option(c).exclusive]
    if exclusive and len(chosen) > 1:
        raise _Invalid(
            f"'{exclusive[0].display}' cannot be chosen together with other answers "
            f"for '{item.text}'."
        )
    if not item.repeats:
        return chosen[0]
    return [o.code for o in item.options if o.code in chosen]  # the order shown


# --------------------------------------------------------------------------- loading files


def load(path: str | Path) -> Definition:
    """Read a questionnaire JSON file."""
    with open(path, encoding="utf-8") as f:
        return Definition.from_fhir(json.load(f))


@cache
def general_previsit() -> Definition:
    """The shipped general pre-visit questionnaire (read once per process)."""
    return load(GENERAL_PREVISIT)
