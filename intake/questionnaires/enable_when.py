"""Which items are enabled for a set of answers, and the calculated totals.

FHIR R4 `enableWhen` semantics, as the package docstring of intake/questionnaires/definition.py
sets out. Worked out lazily: the dependency graph was checked acyclic when the questionnaire
was read, so the recursion ends.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from intake.questionnaires.items import EnableWhen, is_empty

if TYPE_CHECKING:  # layer: for type hints only; definition.py imports this module
    from intake.questionnaires.definition import Definition


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


class State:
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
        parent = self.definition.parent_of(link_id)
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
        return None if is_empty(value) else value

    def total(self, link_id: str) -> int | float | None:
        if link_id not in self._totals:
            self._totals[link_id] = self._work_out_total(link_id)
        return self._totals[link_id]

    def _work_out_total(self, link_id: str) -> int | float | None:
        total: int | float = 0
        for part in self.definition.items_by_id[link_id].sum_of:
            score = self.definition.score(part, self.value(part))
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
