"""Preview a draft content version in the admin, before a clinician approves it."""

from collections.abc import Mapping

import yaml

from advice import build_handout, triage
from advice.content_schema import CONTENT_DIR, GLOBAL_FILE, Library
from advice.context import HandoutContext

PREVIEW_CONTEXT = HandoutContext(
    clinic_name="your clinic", emergency_number="911", crisis_line="988"
)


def preview_html(body: Mapping) -> str:
    """The handout a patient who chose only this topic would get, with the shipped global part."""
    documents = [dict(body)]
    if body.get("topic") != "global":
        global_text = (CONTENT_DIR / GLOBAL_FILE).read_text(encoding="utf-8")
        documents.append(yaml.safe_load(global_text))
    library = Library.from_documents(documents)
    answers = {"reason": [body["topic"]]} if body.get("topic") != "global" else {"reason": []}
    result = triage(answers, library=library, context=PREVIEW_CONTEXT)
    handout = build_handout(answers, library=library, triage_result=result, context=PREVIEW_CONTEXT)
    return handout.html
