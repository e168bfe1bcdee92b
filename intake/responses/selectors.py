"""Reads on the patient's side, shared by the portal's review page and the clinician's case page."""

from datetime import date

from intake.questionnaires.definition import Definition


def _display(item, value) -> str:
    if value is None:
        return ""
    if item.type == "boolean":
        return "Yes" if value else "No"
    if item.options:
        values = value if isinstance(value, list) else [value]
        shown = []
        for code in values:
            option = item.option(str(code))
            shown.append(option.display if option else str(code))
        return ", ".join(shown)
    if isinstance(value, date):
        return value.isoformat()
    if item.unit:
        return f"{value} {item.unit}"
    return str(value)


def answer_sections(
    definition: Definition, answers: dict, *, for_patient: bool = False
) -> list[dict]:
    """The answers grouped by page, as the patient saw them, with totals where calculated.

    For the patient's own review: each question in its own words, and no scores (a screener's
    total is for the clinician to read with the patient, not a verdict on a review page)."""
    totals = definition.compute_totals(answers)
    sections = []
    for page in definition.visible_pages(answers):
        rows = []
        for item in page.walk():
            if item.type in ("group", "display"):
                continue
            if for_patient and item.read_only:
                continue
            value = answers.get(item.link_id)
            if value is None and item.read_only:
                value = totals.get(item.link_id)
            if value is None or value == [] or value == "":
                continue
            rows.append(
                {
                    "link_id": item.link_id,
                    "question": item.text if for_patient else (item.short_text or item.text),
                    "display": _display(item, value),
                    "total": item.read_only,
                }
            )
        if rows:
            sections.append({"page": page, "answers": rows})
    return sections


def explain_evidence(definition: Definition, evidence: dict) -> list[dict]:
    """A triage reason's evidence (linkId -> value) in the words the patient saw."""
    rows = []
    for link_id, value in (evidence or {}).items():
        item = definition.items_by_id.get(link_id)
        if item is None:  # the patient's age, or a value the engine worked out
            rows.append({"question": link_id.replace("-", " ").capitalize(), "display": value})
            continue
        if item.scored and not isinstance(value, list):
            option = item.option(str(value))
            shown = option.display if option else str(value)
        else:
            shown = _display(item, value)
        rows.append({"question": item.short_text or item.text, "display": shown})
    return rows
