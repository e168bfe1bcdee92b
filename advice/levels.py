"""Triage levels, kept apart so the content schema and the triage engine share them."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["TriageLevel"]


class TriageLevel(StrEnum):
    """How soon someone must act, ordered by urgency: ROUTINE < URGENT < EMERGENCY.

    A `str` so it stores and serialises as its code; comparisons follow urgency,
    not the alphabet.
    """

    EMERGENCY = "emergency"
    URGENT = "urgent"
    ROUTINE = "routine"

    @property
    def rank(self) -> int:
        return _RANK[self]

    @property
    def flagged(self) -> bool:
        """Emergency and urgent results go to a clinician for review."""
        return self is not TriageLevel.ROUTINE

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, TriageLevel):
            return NotImplemented
        return self.rank < other.rank

    def __le__(self, other: object) -> bool:
        if not isinstance(other, TriageLevel):
            return NotImplemented
        return self.rank <= other.rank

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, TriageLevel):
            return NotImplemented
        return self.rank > other.rank

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, TriageLevel):
            return NotImplemented
        return self.rank >= other.rank


_RANK = {TriageLevel.ROUTINE: 0, TriageLevel.URGENT: 1, TriageLevel.EMERGENCY: 2}
