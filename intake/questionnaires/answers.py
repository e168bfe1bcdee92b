"""Answers as the browser posts them (lists of strings) and as we store them (Python values).

`clean` turns a post into values, checking each against its item and dropping what a hidden
item was sent; every message is written for the patient.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

from intake.questionnaires.enable_when import State
from intake.questionnaires.items import (
    CHOICE_TYPES,
    NON_FIELD_ERRORS,
    InvalidAnswer,
    Item,
    Value,
    is_empty,
    is_number,
    parse_iso_date,
)

if TYPE_CHECKING:  # layer: for type hints only; definition.py imports this module
    from intake.questionnaires.definition import Definition

_INTEGER_RE = re.compile(r"[+-]?[0-9]+")
CELSIUS = "°C"
_DECIMAL_RE = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")


def normalise_raw(raw: Mapping[str, Any]) -> dict[str, list[str]]:
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
    if is_empty(value):
        return []
    if item.type == "boolean":
        if not isinstance(value, bool):
            raise InvalidAnswer(f"Please answer yes or no for '{item.text}'.")
        return ["true" if value else "false"]
    if item.type in CHOICE_TYPES:
        values = value if isinstance(value, list | tuple) else [value]
        if not all(isinstance(v, str) for v in values):
            raise InvalidAnswer(f"The answer to '{item.text}' must be one of its choices.")
        return list(values)
    if item.type == "integer":
        if not isinstance(value, int) or isinstance(value, bool):
            raise InvalidAnswer(_number_message(item, whole=True))
        return [str(value)]
    if item.type == "decimal":
        if not is_number(value):
            raise InvalidAnswer(_number_message(item, whole=False))
        return [repr(float(value))]
    if item.type == "date":
        if isinstance(value, date):
            return [value.isoformat()]
        if not isinstance(value, str):
            raise InvalidAnswer(f"Please give a date like 2024-05-31 for '{item.text}'.")
        return [value]
    if not isinstance(value, str):
        raise InvalidAnswer(f"The answer to '{item.text}' must be text.")
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
    fahrenheit = fahrenheit_bounds(item)
    if fahrenheit is not None:
        bounds += f" (or {_fmt(fahrenheit[0])} to {_fmt(fahrenheit[1])} °F)"
    return f"{_subject(item)} must be {kind}{bounds}."


def _required_message(item: Item) -> str:
    if item.type in CHOICE_TYPES or item.type == "boolean":
        return f"Please choose an answer for '{item.text}'."
    return f"Please answer '{item.text}'."


def unknown_message(outside: str, link_ids: list[str]) -> str:
    return f"{outside[0].upper()}{outside[1:]}: {', '.join(sorted(link_ids))}."


def _parse(item: Item, strings: list[str], today: date) -> Value | None:
    """Posted strings to the item's Python value (None: not answered).

    InvalidAnswer says why not.
    """
    if item.type == "text":
        strings = [s.replace("\r\n", "\n").strip() for s in strings]
    else:
        strings = [s.strip() for s in strings]
    strings = [s for s in strings if s]
    if not strings:
        return None
    if len(strings) > 1 and not item.repeats:
        if item.type in CHOICE_TYPES or item.type == "boolean":
            raise InvalidAnswer(f"Please choose only one answer for '{item.text}'.")
        raise InvalidAnswer(f"Please give only one answer for '{item.text}'.")

    if item.type == "boolean":
        lowered = strings[0].lower()
        if lowered not in ("true", "false"):
            raise InvalidAnswer(f"Please answer yes or no for '{item.text}'.")
        return lowered == "true"

    if item.type in CHOICE_TYPES:
        return _parse_choice(item, strings)

    text = strings[0]
    if item.type == "integer":
        if not _INTEGER_RE.fullmatch(text):
            raise InvalidAnswer(_number_message(item, whole=True))
        number: int | float = int(text)
        _check_range(item, number, whole=True)
        return number

    if item.type == "decimal":
        # A phone keyboard in many countries offers a comma for the decimal point.
        if text.count(",") == 1 and "." not in text:
            text = text.replace(",", ".")
        if not _DECIMAL_RE.fullmatch(text):
            raise InvalidAnswer(_number_message(item, whole=False))
        number = celsius_from_either(item, float(text))
        _check_range(item, number, whole=False)
        return number

    if item.type == "date":
        parsed = parse_iso_date(text)
        if parsed is None:
            raise InvalidAnswer(f"Please give a date like 2024-05-31 for '{item.text}'.")
        # Every date we ask about (birth, when something started) is in the past.
        if parsed > today:
            raise InvalidAnswer(f"The date for '{item.text}' cannot be in the future.")
        if item.min_value is not None and text < item.min_value:
            raise InvalidAnswer(f"The date for '{item.text}' must be on or after {item.min_value}.")
        if item.max_value is not None and text > item.max_value:
            raise InvalidAnswer(
                f"The date for '{item.text}' must be on or before {item.max_value}."
            )
        return text

    _check_length(item, text)
    return text


def fahrenheit_bounds(item: Item) -> tuple[float, float] | None:
    """For a temperature asked in °C, the same range in °F (the US default locale)."""
    if item.unit != CELSIUS or item.min_value is None or item.max_value is None:
        return None
    return (
        round(float(item.min_value) * 9 / 5 + 32, 1),
        round(float(item.max_value) * 9 / 5 + 32, 1),
    )


def celsius_from_either(item: Item, number: float) -> float:
    """A temperature typed in °F is stored in °C: the two ranges never overlap (34-43 °C is
    93.2-109.4 °F), so 101.3 can only be Fahrenheit."""
    bounds = fahrenheit_bounds(item)
    if bounds is not None and bounds[0] <= number <= bounds[1]:
        return round((number - 32) * 5 / 9, 1)
    return number


def _check_range(item: Item, number: int | float, *, whole: bool) -> None:
    if (item.min_value is not None and number < item.min_value) or (
        item.max_value is not None and number > item.max_value
    ):
        raise InvalidAnswer(_number_message(item, whole=whole))


def _check_length(item: Item, text: str) -> None:
    if item.max_length is not None and len(text) > item.max_length:
        raise InvalidAnswer(
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
            raise InvalidAnswer(f"'{value}' is not one of the choices for '{item.text}'.")
    if free_text:
        _check_length(item, free_text[0])
        return free_text[0]
    exclusive = [item.option(c) for c in chosen if item.option(c).exclusive]
    if exclusive and len(chosen) > 1:
        raise InvalidAnswer(
            f"'{exclusive[0].display}' cannot be chosen together with other answers "
            f"for '{item.text}'."
        )
    if not item.repeats:
        return chosen[0]
    return [o.code for o in item.options if o.code in chosen]  # the order shown


def clean(
    definition: Definition,
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
        except InvalidAnswer as error:
            parse_errors[item.link_id] = str(error)
            continue
        if value is not None:
            values[item.link_id] = value

    state = State(definition, {**base, **values})
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
        errors[NON_FIELD_ERRORS] = unknown_message(outside, unknown)
    return cleaned, errors
