"""Reads on the patient's side, shared by the portal's review page and the clinician's case page."""

from dataclasses import dataclass
from datetime import date

from django.utils import timezone

import advice
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


@dataclass(frozen=True)
class SummaryRow:
    text: str
    sources: tuple[tuple[str, str], ...]  # (linkId, the question's short label) per source


@dataclass(frozen=True)
class PrevisitSummary:
    """What the patient came for, in clinician language, with where the questionnaire stands."""

    summary: advice.Summary
    state: str
    sections: tuple[tuple[str, tuple[SummaryRow, ...]], ...]

    @property
    def text(self) -> str:
        """Plain text for the record ("Copy for the note"): the summary, its state second."""
        title, _, rest = self.summary.as_text().partition("\n")
        return f"{title}\nState: {self.state}\n{rest}".rstrip() + "\n"


def _local(moment) -> str:
    return timezone.localtime(moment).strftime("%a %d %b %H:%M")


def response_state(definition: Definition, response) -> str:
    """Where the questionnaire stands, as a clinician needs to know it."""
    shown = response.emergency_shown_at
    if response.is_submitted:
        state = f"sent {_local(response.submitted_at)}"
        if shown:
            state += f"; the emergency screen was shown at {_local(shown)} and the patient went on"
        return state[0].upper() + state[1:]
    pages = [page.link_id for page in definition.visible_pages(response.answers)]
    done = sum(1 for page in pages if page in response.pages_done)
    state = f"Not sent: stopped at step {min(done + 1, len(pages) + 1)} of {len(pages) + 1}"
    if shown:
        state += f", after the emergency screen ({_local(shown)})"
    return f"{state}; last saved {_local(response.updated_at)}"


def previsit_summary(definition: Definition, response) -> PrevisitSummary:
    """The clinician's summary of a response (sent or not): advice.summarize over its answers,
    each line with the questions it came from."""
    appointment = response.appointment
    age = appointment.patient.age_on(timezone.localdate(appointment.starts_at))
    summary = advice.summarize(definition.for_advice(response.answers), age=age)

    def label(link_id: str) -> str:
        item = definition.items_by_id.get(link_id)
        return (item.short_text or item.text) if item else link_id

    sections = tuple(
        (
            section.heading,
            tuple(
                SummaryRow(line.text, tuple((source, label(source)) for source in line.sources))
                for line in section.lines
            ),
        )
        for section in summary.sections
        if section.lines
    )
    return PrevisitSummary(
        summary=summary, state=response_state(definition, response), sections=sections
    )
