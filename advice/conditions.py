"""The condition language of the content files (docs/content-format.md, "Conditions").

A condition is compiled once, when the content is loaded, into a pair of small
closures: one answers "does it hold?" (the hot path, run for every block of every
topic on every response) and one answers "which answers made it hold?" (run only
for the red flags that fired, to show a clinician the answer behind a flag).

Semantics beyond the format document, chosen so content reads the way it sounds:

- `has` is true when a multi-select contains the code or a single choice equals it.
- `is` on a multi-select is true when exactly that one code was ticked, so
  `{q: urgent-now, is: none}` means "ticked none of these".
- `True` and `1` are different answers: a boolean never equals a number.
- A leaf may combine comparisons (`{q: temperature, gte: 38, lt: 40}`); all must hold.
- Unknown age makes an `age` condition false, so `{not: {age: ...}}` is then true.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "AGE",
    "Condition",
    "ConditionError",
    "compile_condition",
    "example_answers",
]

Answers = Mapping[str, Any]
Holds = Callable[[Answers, "int | None"], bool]
Used = Callable[[Answers, "int | None", dict], None]

#: The key under which a patient's age appears in evidence.
AGE = "age"

_COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "gte": operator.ge,
    "gt": operator.gt,
    "lte": operator.le,
    "lt": operator.lt,
}
_LEAF_OPERATORS = ("has", "has_any", "is", "is_not", "exists", *_COMPARISONS)
_KINDS = ("q", "age", "all", "any", "not")


class ConditionError(ValueError):
    """A condition that does not follow the condition language."""


@dataclass(frozen=True, eq=False, slots=True)
class Condition:
    """A compiled condition; `spec` is the mapping it was written as."""

    spec: Mapping[str, Any]
    link_ids: frozenset[str]
    _holds: Holds = field(repr=False)
    _used: Used = field(repr=False)

    def holds(self, answers: Answers, age: int | None = None) -> bool:
        return self._holds(answers, age)

    def used(self, answers: Answers, age: int | None = None) -> dict[str, Any]:
        """The answers (linkId -> value, and `age`) that made the condition true.

        Empty when the condition is false, or true only because something was
        not answered.
        """
        if not self._holds(answers, age):
            return {}
        found: dict[str, Any] = {}
        self._used(answers, age, found)
        return found


def compile_condition(spec: Any, *, where: str = "when") -> Condition:
    """Compile a condition mapping; raise `ConditionError` saying what is wrong and where."""
    holds, used, names = _compile(spec, where)
    return Condition(spec=spec, link_ids=frozenset(names), _holds=holds, _used=used)


# --- answers -----------------------------------------------------------------


def _answered(value: Any) -> bool:
    return value is not None and value != "" and value != [] and value != ()


def _same(answer: Any, expected: Any) -> bool:
    # bool is an int in Python; an answer of True must not match a score of 1.
    if isinstance(answer, bool) is not isinstance(expected, bool):
        return False
    return answer == expected


def _is_many(value: Any) -> bool:
    return isinstance(value, list | tuple | set | frozenset)


def _number(value: Any) -> float | int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value


def _copy(value: Any) -> Any:
    return list(value) if _is_many(value) else value


# --- compiling ----------------------------------------------------------------


def _compile(spec: Any, where: str) -> tuple[Holds, Used, set[str]]:
    if not isinstance(spec, Mapping):
        raise ConditionError(f"{where}: a condition is a mapping, got {spec!r}")
    kinds = [key for key in spec if key in _KINDS]
    unknown = [key for key in spec if key not in _KINDS and key not in _LEAF_OPERATORS]
    if unknown:
        raise ConditionError(f"{where}: unknown condition operator {unknown[0]!r}")
    if len(kinds) != 1:
        raise ConditionError(
            f"{where}: a condition has exactly one of q, age, all, any, not (got {sorted(spec)})"
        )
    kind = kinds[0]
    if kind == "q":
        return _compile_leaf(spec, where)
    if len(spec) != 1:
        extra = next(key for key in spec if key != kind)
        raise ConditionError(f"{where}: {extra!r} belongs with q, not with {kind!r}")
    if kind == "age":
        return _compile_age(spec["age"], f"{where}.age")
    if kind == "not":
        return _compile_not(spec["not"], f"{where}.not")
    return _compile_group(kind, spec[kind], f"{where}.{kind}")


def _compile_leaf(spec: Mapping[str, Any], where: str) -> tuple[Holds, Used, set[str]]:
    q = spec["q"]
    if not isinstance(q, str) or not q:
        raise ConditionError(f"{where}: q names an answer linkId, got {q!r}")
    where = f"{where} (q: {q})"
    ops = {key: value for key, value in spec.items() if key != "q"}
    if not ops:
        raise ConditionError(f"{where}: says nothing about the answer (add has, is, gte...)")

    if "exists" in ops:
        wanted = ops["exists"]
        if not isinstance(wanted, bool):
            raise ConditionError(f"{where}: exists takes true or false, got {wanted!r}")
        if len(ops) > 1:
            raise ConditionError(f"{where}: exists cannot be combined with other operators")
        if wanted:

            def holds(answers: Answers, age: int | None) -> bool:
                return _answered(answers.get(q))

            def used(answers: Answers, age: int | None, found: dict) -> None:
                found[q] = _copy(answers[q])

        else:

            def holds(answers: Answers, age: int | None) -> bool:
                return not _answered(answers.get(q))

            def used(answers: Answers, age: int | None, found: dict) -> None:
                return None

        return holds, used, {q}

    tests = [_value_test(op, value, where) for op, value in ops.items()]

    if len(tests) == 1:
        (test,) = tests

        def holds(answers: Answers, age: int | None) -> bool:
            value = answers.get(q)
            return _answered(value) and test(value)

    else:

        def holds(answers: Answers, age: int | None) -> bool:
            value = answers.get(q)
            return _answered(value) and all(test(value) for test in tests)

    def used(answers: Answers, age: int | None, found: dict) -> None:
        found[q] = _copy(answers[q])

    return holds, used, {q}


def _scalar(value: Any) -> bool:
    return isinstance(value, str | int | float | bool)


def _value_test(op: str, expected: Any, where: str) -> Callable[[Any], bool]:
    if op == "has":
        if not _scalar(expected):
            raise ConditionError(f"{where}: has takes one code, got {expected!r}")

        def test(value: Any) -> bool:
            if _is_many(value):
                return any(_same(item, expected) for item in value)
            return _same(value, expected)

        return test

    if op == "has_any":
        if (
            not isinstance(expected, list)
            or not expected
            or not all(_scalar(code) for code in expected)
        ):
            raise ConditionError(f"{where}: has_any takes a non-empty list of codes")
        codes = tuple(expected)

        def test(value: Any) -> bool:
            items = value if _is_many(value) else (value,)
            return any(_same(item, code) for item in items for code in codes)

        return test

    if op in ("is", "is_not"):
        if not _scalar(expected):
            raise ConditionError(f"{where}: {op} takes one value, got {expected!r}")

        def equals(value: Any) -> bool:
            if _is_many(value):
                return len(value) == 1 and _same(next(iter(value)), expected)
            return _same(value, expected)

        if op == "is":
            return equals
        return lambda value: not equals(value)

    compare = _COMPARISONS[op]
    if _number(expected) is None:
        raise ConditionError(f"{where}: {op} takes a number, got {expected!r}")

    def test(value: Any) -> bool:
        number = _number(value)
        return number is not None and compare(number, expected)

    return test


def _compile_age(spec: Any, where: str) -> tuple[Holds, Used, set[str]]:
    if not isinstance(spec, Mapping) or not spec:
        raise ConditionError(f"{where}: age takes comparisons, e.g. {{age: {{gte: 50}}}}")
    checks = []
    for op, bound in spec.items():
        if op not in _COMPARISONS:
            raise ConditionError(f"{where}: unknown condition operator {op!r} for age")
        if _number(bound) is None:
            raise ConditionError(f"{where}: {op} takes a number, got {bound!r}")
        checks.append((_COMPARISONS[op], bound))

    def holds(answers: Answers, age: int | None) -> bool:
        return age is not None and all(compare(age, bound) for compare, bound in checks)

    def used(answers: Answers, age: int | None, found: dict) -> None:
        found[AGE] = age

    return holds, used, set()


def _compile_not(spec: Any, where: str) -> tuple[Holds, Used, set[str]]:
    inner_holds, _, names = _compile(spec, where)
    mentions_age = _mentions_age(spec)

    def holds(answers: Answers, age: int | None) -> bool:
        return not inner_holds(answers, age)

    def used(answers: Answers, age: int | None, found: dict) -> None:
        # What makes "not X" true are the answers X looked at and found wanting.
        for name in names:
            if _answered(answers.get(name)):
                found[name] = _copy(answers[name])
        if mentions_age and age is not None:
            found[AGE] = age

    return holds, used, names


def _mentions_age(spec: Any) -> bool:
    if not isinstance(spec, Mapping):
        return False
    if "age" in spec:
        return True
    children = spec.get("all") or spec.get("any") or []
    return any(_mentions_age(child) for child in children) or _mentions_age(spec.get("not"))


def _compile_group(kind: str, spec: Any, where: str) -> tuple[Holds, Used, set[str]]:
    if not isinstance(spec, list) or not spec:
        raise ConditionError(f"{where}: {kind} takes a non-empty list of conditions")
    compiled = [_compile(child, f"{where}[{index}]") for index, child in enumerate(spec)]
    names = set().union(*(child_names for _, _, child_names in compiled))
    pairs = tuple((child_holds, child_used) for child_holds, child_used, _ in compiled)
    checks = tuple(child_holds for child_holds, _ in pairs)

    if kind == "all":

        def holds(answers: Answers, age: int | None) -> bool:
            return all(check(answers, age) for check in checks)

    else:

        def holds(answers: Answers, age: int | None) -> bool:
            return any(check(answers, age) for check in checks)

    def used(answers: Answers, age: int | None, found: dict) -> None:
        for child_holds, child_used in pairs:
            if child_holds(answers, age):
                child_used(answers, age, found)

    return holds, used, names


# --- examples -------------------------------------------------------------------


@dataclass(frozen=True)
class _Example:
    answers: dict[str, Any]
    age: int | None = None


def example_answers(
    condition: Condition,
    *,
    holds: bool = True,
    vocabulary: Mapping[str, Sequence[Any]] | None = None,
) -> tuple[dict[str, Any], int | None] | None:
    """Answers (and an age) that make `condition` hold, or not hold; None if none found.

    For previewing content and for tests that must show every tailored block.
    `vocabulary` (linkId -> codes) lets `is_not` pick a real code rather than "other".
    """
    example = _example(condition.spec, holds, vocabulary or {})
    if example is None or condition.holds(example.answers, example.age) is not holds:
        return None
    return example.answers, example.age


def _example(spec: Mapping[str, Any], want: bool, vocabulary: Mapping) -> _Example | None:
    if "q" in spec:
        return _leaf_example(spec, want, vocabulary)
    if "age" in spec:
        if not want:
            return _Example({}, None)
        age = _pick_number(spec["age"])
        return None if age is None else _Example({}, int(age))
    if "not" in spec:
        return _example(spec["not"], not want, vocabulary)
    children = spec["all"] if "all" in spec else spec["any"]
    merge_all = ("all" in spec) is want
    if merge_all:
        merged: _Example | None = _Example({})
        for child in children:
            part = _example(child, want, vocabulary)
            merged = _merge(merged, part) if part is not None and merged is not None else None
        return merged
    for child in children:
        part = _example(child, want, vocabulary)
        if part is not None:
            return part
    return None


def _leaf_example(spec: Mapping[str, Any], want: bool, vocabulary: Mapping) -> _Example | None:
    q = spec["q"]
    codes = list(vocabulary.get(q, ()))
    if "exists" in spec:
        if spec["exists"] is want:
            return _Example({q: codes[0] if codes else True})
        return _Example({})
    if not want:
        return _Example({})
    if "has" in spec:
        return _Example({q: [spec["has"]]})
    if "has_any" in spec:
        return _Example({q: [spec["has_any"][0]]})
    if "is" in spec:
        return _Example({q: spec["is"]})
    if "is_not" in spec:
        unwanted = spec["is_not"]
        if isinstance(unwanted, bool):
            return _Example({q: not unwanted})
        if _number(unwanted) is not None:
            return _Example({q: unwanted + 1})
        others = [code for code in codes if not _same(code, unwanted)]
        return _Example({q: others[0] if others else "other"})
    value = _pick_number({op: spec[op] for op in _COMPARISONS if op in spec})
    return None if value is None else _Example({q: value})


def _pick_number(bounds: Mapping[str, Any]) -> float | int | None:
    candidates = []
    for op, bound in bounds.items():
        step = 1 if isinstance(bound, int) else 0.5
        candidates.append({"gte": bound, "gt": bound + step, "lte": bound, "lt": bound - step}[op])
    for value in candidates:
        if all(_COMPARISONS[op](value, bound) for op, bound in bounds.items()):
            return value
    return None


def _merge(left: _Example, right: _Example) -> _Example | None:
    answers = dict(left.answers)
    for key, value in right.answers.items():
        if key not in answers:
            answers[key] = value
        elif _is_many(answers[key]) and _is_many(value):
            answers[key] = [*answers[key], *(v for v in value if v not in answers[key])]
        elif not _same(answers[key], value):
            return None
    if left.age is not None and right.age is not None and left.age != right.age:
        return None
    return _Example(answers, left.age if left.age is not None else right.age)
