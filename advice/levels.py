"""Triage levels: the product's one scale of how soon someone must act.

Every room uses this enum (the models store its value, the queue sorts on its rank), so
"higher" means the same thing everywhere: ROUTINE < SOON < URGENT < EMERGENCY.

- EMERGENCY: call the emergency number now.
- URGENT: the clinic speaks to the patient today.
- SOON: the clinic contacts the patient within 2 working days (findings that must not wait
  for the visit but are not today's, such as the NICE NG12 suspected-cancer features).
- ROUTINE: it can wait for the visit.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["TriageLevel"]


class TriageLevel(StrEnum):
    """How soon someone must act, ordered by urgency: ROUTINE < SOON < URGENT < EMERGENCY.

    A `str` so it stores and serialises as its code; comparisons follow urgency,
    not the alphabet.
    """

    EMERGENCY = "emergency"
    URGENT = "urgent"
    SOON = "soon"
    ROUTINE = "routine"

    @property
    def rank(self) -> int:
        """0 for routine, rising with urgency (stored on a case so the queue sorts on it)."""
        return _RANK[self]

    @property
    def label(self) -> str:
        return self.value.capitalize()

    @property
    def flagged(self) -> bool:
        """Emergency, urgent and soon results go to a clinician for review."""
        return self is not TriageLevel.ROUTINE

    @classmethod
    def choices(cls, *, flagged_only: bool = False) -> list[tuple[str, str]]:
        """(value, label) pairs, most urgent first, for a model field or a form."""
        levels = sorted(cls, key=lambda level: -level.rank)
        return [(level.value, level.label) for level in levels if level.flagged or not flagged_only]

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


_RANK = {
    TriageLevel.ROUTINE: 0,
    TriageLevel.SOON: 1,
    TriageLevel.URGENT: 2,
    TriageLevel.EMERGENCY: 3,
}
