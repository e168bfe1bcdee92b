"""Triage: which red flags the answers raise, and how soon someone must act.

Every red flag in the library is checked, the global ones and those of every
topic, whether or not the patient chose that topic: a patient who came about
a cough but ticked "one calf swollen" on another page is still flagged.

The patient's own words are read too (advice/screening.py): a red-flag phrase
written in them, and not denied, raises the level like a ticked box. Words only
ever add reasons.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from advice.content_schema import Library, Reference, default_library
from advice.context import HandoutContext
from advice.levels import TriageLevel
from advice.screening import screen

__all__ = ["Reason", "TriageLevel", "TriageResult", "triage"]


@dataclass(frozen=True)
class Reason:
    """One red flag that fired, with the answers behind it."""

    rule_id: str
    topic: str
    level: TriageLevel
    text: str  # for the clinician
    act: str  # for the patient, placeholders filled
    evidence: Mapping[str, Any] = field(default_factory=dict)
    source: Reference | None = None
    version: int | None = None
    # The content tells the patient to call the crisis line ({crisis_line} in its instruction):
    # the portal then shows the line, wherever the rule came from.
    crisis_line: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule_id": self.rule_id,
            "topic": self.topic,
            "version": self.version,
            "level": self.level.value,
            "text": self.text,
            "act": self.act,
            "evidence": dict(self.evidence),
            "crisis_line": self.crisis_line,
            "source": (
                {"title": self.source.title, "url": self.source.url} if self.source else None
            ),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Reason:
        source = data.get("source")
        return cls(
            rule_id=data["rule_id"],
            topic=data["topic"],
            version=data.get("version"),
            level=TriageLevel(data["level"]),
            text=data["text"],
            act=data["act"],
            evidence=dict(data.get("evidence") or {}),
            source=Reference(source["title"], source["url"]) if source else None,
            crisis_line=bool(data.get("crisis_line")),
        )


@dataclass(frozen=True)
class TriageResult:
    level: TriageLevel
    reasons: tuple[Reason, ...] = ()

    @property
    def flagged(self) -> bool:
        """Emergency and urgent results go to a clinician for review."""
        return self.level.flagged

    @property
    def rules_fired(self) -> tuple[str, ...]:
        return tuple(reason.rule_id for reason in self.reasons)

    def to_dict(self) -> dict[str, Any]:
        return {
            "level": self.level.value,
            "reasons": [reason.to_dict() for reason in self.reasons],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TriageResult:
        return cls(
            level=TriageLevel(data["level"]),
            reasons=tuple(Reason.from_dict(reason) for reason in data.get("reasons", ())),
        )


def triage(
    answers: Mapping[str, Any],
    *,
    age: int | None = None,
    library: Library | None = None,
    context: HandoutContext | None = None,
) -> TriageResult:
    """The highest level of any red flag that fired, routine when none did.

    Reasons come emergency first; within a level, global flags first, then by
    topic code, each topic's in file order.
    """
    library = library if library is not None else default_library()
    context = context if context is not None else HandoutContext()
    fired = [
        Reason(
            rule_id=flag.id,
            topic=topic.topic,
            version=topic.version,
            level=flag.level,
            text=flag.reason,
            act=context.fill(flag.act),
            evidence=flag.when.used(answers, age),
            source=flag.source,
            crisis_line="{crisis_line}" in flag.act,
        )
        for topic, flag in library.red_flags()
        if flag.when.holds(answers, age)
    ]
    free_text = library.global_topic.free_text
    for mention in screen(answers, free_text.answers, free_text.rules):
        rule = mention.rule
        written = (
            mention.words
            if mention.with_words is None
            else (f"{mention.words} ... {mention.with_words}")
        )
        fired.append(
            Reason(
                rule_id=rule.id,
                topic=library.global_topic.topic,
                version=library.global_topic.version,
                level=rule.level,
                text=f'{rule.reason} (in their own words: "{written}")',
                act=context.fill(rule.act),
                evidence={mention.link_id: written},
                source=rule.source,
                crisis_line="{crisis_line}" in rule.act,
            )
        )
    # sorted() is stable, so library order survives within a level.
    fired.sort(key=lambda reason: -reason.level.rank)
    level = fired[0].level if fired else TriageLevel.ROUTINE
    return TriageResult(level=level, reasons=tuple(fired))
