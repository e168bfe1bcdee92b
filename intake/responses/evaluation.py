"""The one evaluation path: answers in, triage, scores and the handout out.

The portal's submit, its emergency check on every page and `manage.py evaluate_response` all
come through here, so what the command line prints is what the patient gets.
"""

from dataclasses import dataclass
from typing import Any

from django.conf import settings

import advice
from advice.content_schema import GLOBAL, Library
from advice.context import HandoutContext
from advice.handout import Handout
from advice.services import approved_library, packaged_library
from advice.triage import TriageResult
from intake.questionnaires.definition import Definition
from intake.questionnaires.scoring import score_all


def render_context() -> HandoutContext:
    return HandoutContext(
        clinic_name=settings.CLINIC_NAME,
        emergency_number=settings.EMERGENCY_NUMBER,
        crisis_line=settings.CRISIS_LINE,
    )


def _safety_library() -> Library:
    """The red flags that decide triage: always the shipped, tested rules.

    Approval governs what the patient reads (the handout). The red flags are the product's
    safety logic, tested against the vignettes with every release: they must never lag behind
    the questions the questionnaire asks. A clinic whose approvals predate a release would
    otherwise ask about, say, belly pain with no rule reading the answers.
    """
    return packaged_library()


@dataclass(frozen=True)
class Evaluation:
    triage: TriageResult
    scores: dict[str, dict[str, Any]]
    # None until a clinician has approved the content: the patient is then told their clinic
    # will share advice at the visit.
    handout: Handout | None
    content_versions: dict[str, int]


def triage_answers(*, definition: Definition, answers: dict, age: int | None) -> TriageResult:
    """Triage alone: what every page save checks for an emergency."""
    return advice.triage(
        definition.for_advice(answers),
        age=age,
        library=_safety_library(),
        context=render_context(),
    )


def evaluate_answers(*, definition: Definition, answers: dict, age: int | None) -> Evaluation:
    library, versions = approved_library()
    for_advice = definition.for_advice(answers)
    context = render_context()
    result = advice.triage(for_advice, age=age, library=_safety_library(), context=context)
    handout = None
    if library is not None:
        handout = advice.build_handout(
            for_advice, age=age, library=library, triage_result=result, context=context
        )
    used = [*(handout.topics if handout else ()), GLOBAL]
    return Evaluation(
        triage=result,
        scores=score_all(definition, answers),
        handout=handout,
        content_versions={topic: versions[topic] for topic in used if topic in versions},
    )
