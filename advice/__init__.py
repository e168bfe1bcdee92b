"""Previsit's clinical knowledge: answers in, a handout and a triage result out.

No Django, no database: `intake` calls `evaluate()` with a response's answers,
and `python -m advice ANSWERS.json` runs the same code from a shell.
`summarize()` gives the clinician's pre-visit summary of the same answers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from advice.conditions import Condition, ConditionError, compile_condition
from advice.content_schema import ContentError, Library, Topic, default_library
from advice.context import HandoutContext
from advice.handout import Handout, HandoutBlock, build_handout, choose_topics
from advice.levels import TriageLevel
from advice.readability import reading_grade, word_count
from advice.summary import Summary, SummaryLibrary, SummaryLine, SummarySection, summarize
from advice.triage import Reason, TriageResult, triage

__all__ = [
    "Condition",
    "ConditionError",
    "ContentError",
    "Evaluation",
    "Handout",
    "HandoutBlock",
    "HandoutContext",
    "Library",
    "Reason",
    "Summary",
    "SummaryLibrary",
    "SummaryLine",
    "SummarySection",
    "Topic",
    "TriageLevel",
    "TriageResult",
    "build_handout",
    "choose_topics",
    "compile_condition",
    "default_library",
    "evaluate",
    "reading_grade",
    "summarize",
    "triage",
    "word_count",
]


@dataclass(frozen=True)
class Evaluation:
    triage: TriageResult
    handout: Handout

    def to_dict(self) -> dict[str, Any]:
        return {"triage": self.triage.to_dict(), "handout": self.handout.to_dict()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Evaluation:
        return cls(
            triage=TriageResult.from_dict(data["triage"]),
            handout=Handout.from_dict(data["handout"]),
        )


def evaluate(
    answers: Mapping[str, Any],
    *,
    age: int | None = None,
    library: Library | None = None,
    context: HandoutContext | None = None,
) -> Evaluation:
    """Triage the answers and build the handout that goes with them.

    `library` defaults to `advice/content/` (parsed once, cached until a file
    changes); `context` to neutral wording for the clinic name and numbers.
    """
    library = library if library is not None else default_library()
    context = context if context is not None else HandoutContext()
    result = triage(answers, age=age, library=library, context=context)
    handout = build_handout(
        answers, age=age, library=library, triage_result=result, context=context
    )
    return Evaluation(triage=result, handout=handout)
