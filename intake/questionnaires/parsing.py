"""Reading a FHIR R4 Questionnaire into items, with every check we rely on.

Each problem is a DefinitionError naming the item at fault; nothing is half-read.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any

from intake.questionnaires.items import (
    ALLANSWER_KEYS,
    ANSWER_KEYS,
    CHOICE_TYPES,
    EXT_CALCULATED,
    EXT_ENABLE_WHEN_EXPRESSION,
    EXT_HIDDEN,
    EXT_MAX_VALUE,
    EXT_MIN_VALUE,
    EXT_OPTION_EXCLUSIVE,
    EXT_ORDINAL,
    EXT_SHORT_TEXT,
    EXT_SUM_OF,
    EXT_UNIT,
    NON_FIELD_ERRORS,
    OPERATORS,
    ORDERED_TYPES,
    STRING_TYPES,
    SUPPORTED_TYPES,
    DefinitionError,
    EnableWhen,
    Item,
    Option,
    is_number,
    parse_iso_date,
)


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
        if not is_number(ordinal):
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
    keys = [k for k in ALLANSWER_KEYS if k in raw]
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
        if value is not None and not is_number(value):
            raise DefinitionError(f"{url} must be a number", link_id=link_id)
        return None if value is None else float(value)
    if type_ == "date":
        value = _extension_value(raw, url, link_id, ("valueDate",))
        if value is not None and parse_iso_date(value) is None:
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
    if operator in ("=", "!=") and question.type not in ANSWER_KEYS:
        raise bad(f"cannot compare a {question.type} item")
    if operator not in ("=", "!=") and question.type not in ORDERED_TYPES:
        raise bad(f"operator '{operator}' is not allowed for a {question.type} item")
    if key not in ANSWER_KEYS[question.type]:
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
        if not is_number(value):
            raise bad("answerDecimal must be a number")
        return float(value)
    if key == "answerDate":
        if parse_iso_date(value) is None:
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


@dataclass(frozen=True)
class Parsed:
    url: str
    version: str | None
    name: str | None
    title: str | None
    pages: tuple[Item, ...]
    items_by_id: Mapping[str, Item]
    parents: Mapping[str, str | None]


def parse_questionnaire(resource: Mapping[str, Any]) -> Parsed:
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
                raise DefinitionError(f"sum-of names unknown item '{part}'", link_id=item.link_id)
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
    return Parsed(
        url=url,
        version=version,
        name=resource.get("name"),
        title=resource.get("title"),
        pages=pages,
        items_by_id=MappingProxyType(items),
        parents=MappingProxyType(parents),
    )
