"""A questionnaire's parts, as frozen dataclasses, and the FHIR names they are read from.

Pure Python (no Django): the portal forms, the command line and the tests all use the same rules.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple

ANSWER_SYSTEM = "http://previsit.local/fhir/CodeSystem/previsit-answers"

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
ANSWER_KEYS = {
    "boolean": ("answerBoolean",),
    "choice": ("answerCoding",),
    "open-choice": ("answerCoding", "answerString"),
    "integer": ("answerInteger",),
    "decimal": ("answerDecimal", "answerInteger"),
    "date": ("answerDate",),
    "string": ("answerString",),
    "text": ("answerString",),
}
ALLANSWER_KEYS = (
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


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def parse_iso_date(value: Any) -> date | None:
    if not isinstance(value, str) or not _DATE_RE.fullmatch(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def is_empty(value: Any) -> bool:
    return value is None or value == "" or (isinstance(value, list | tuple) and not value)


def copy_value(value: Any) -> Any:
    return list(value) if isinstance(value, list | tuple) else value


class InvalidAnswer(Exception):
    """A posted or stored value that doesn't fit its item; the message says so to the patient."""
