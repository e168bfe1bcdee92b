"""The shipped general pre-visit questionnaire: what it asks, as docs/answers.md says."""

import copy
import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from intake.questionnaires.definition import GENERAL_PREVISIT
from intake.questionnaires.items import ANSWER_SYSTEM, EXT_SUM_OF
from tests.intake.questionnaires.support import (
    GAD_REST,
    PHQ_REST,
    TODAY,
    mood,
)

ROOT = Path(__file__).resolve().parents[3]
ANSWERS_DOC = ROOT / "docs" / "answers.md"


def _shipped() -> dict:
    return json.loads(GENERAL_PREVISIT.read_text(encoding="utf-8"))


# --------------------------------------------------------------------------- docs/answers.md


@dataclass
class DocRow:
    page: str
    link_id: str
    type_cell: str
    codes_cell: str

    @property
    def type(self):
        return re.split(r"[ ,;]", self.type_cell, maxsplit=1)[0]

    @property
    def codes(self):
        # "(chest pain, pressure or tightness)" and "(asked when `reason` = ...)" are notes
        return re.findall(r"`([^`]+)`", re.sub(r"\([^)]*\)", "", self.codes_cell))

    @property
    def conditions(self):
        found = re.findall(r"`([^`]+)` = (?:`([^`]+)`|(true|false))", self.type_cell)
        return [(q, code or value == "true") for q, code, value in found]


def doc_rows() -> list[DocRow]:
    rows, page = [], None
    for line in ANSWERS_DOC.read_text(encoding="utf-8").splitlines():
        heading = re.match(r"### \d+\. `([^`]+)`", line)
        if heading:
            page = heading.group(1)
        elif page and line.startswith("| `"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            link_id = re.match(r"`([^`]+)`", cells[0]).group(1)
            rows.append(DocRow(page, link_id, cells[1], cells[2]))
    return rows


def doc_pages() -> list[str]:
    return re.findall(r"^### \d+\. `([^`]+)`", ANSWERS_DOC.read_text(encoding="utf-8"), re.M)


def doc_mood_ids() -> set[str]:
    """The linkIds the PHQ/GAD sections name in prose (with `a` .. `b` ranges)."""
    text = ANSWERS_DOC.read_text(encoding="utf-8").split("### 7.", 1)[1]
    ids = set(re.findall(r"`((?:phq|gad)[^`]*|self-harm-[^`]+)`", text))
    for prefix, start, end in re.findall(r"`(\w+)-(\d+)` \.\. `\w+-(\d+)`", text):
        ids |= {f"{prefix}-{n}" for n in range(int(start), int(end) + 1)}
    return ids


DOC_ROWS = doc_rows()


def test_the_docs_tables_were_read():
    assert len(DOC_ROWS) >= 59  # 3 + 5 + 10 + 29 + 9 + 3 table rows
    assert doc_pages()[0] == "page-reason" and doc_pages()[-1] == "page-mood-more"


def test_shipped_questionnaire_has_the_documented_pages_in_order(definition):
    assert [p.link_id for p in definition.pages] == doc_pages()
    for page in definition.pages:
        assert page.type == "group" and page.text


def test_shipped_questionnaire_identity(definition):
    assert definition.url == "http://previsit.local/fhir/Questionnaire/general-previsit"
    assert definition.version == "2"
    assert definition.name == "GeneralPrevisit"
    assert definition.title == "General pre-visit questionnaire"
    assert definition.canonical == definition.url + "|2"
    assert _shipped()["status"] == "active"


@pytest.mark.parametrize("row", DOC_ROWS, ids=lambda r: r.link_id)
def test_every_documented_item_is_asked_as_documented(definition, row):
    item = definition.items_by_id[row.link_id]
    assert definition.page_of(row.link_id).link_id == row.page
    assert item.type == row.type
    assert item.repeats == ("repeats" in row.type_cell)
    assert item.required == ("required" in row.type_cell)
    assert item.text and len(item.text) <= 120
    if row.codes and item.type == "choice":
        assert [o.code for o in item.options] == row.codes
        assert all(o.system == ANSWER_SYSTEM and o.display for o in item.options)
    if max_length := re.search(r"max (\d+)", row.type_cell):
        assert item.max_length == int(max_length.group(1))
    if bounds := re.search(r"(\d+(?:\.\d+)?)-(\d+(?:\.\d+)?)", row.type_cell):
        assert (item.min_value, item.max_value) == (
            pytest.approx(float(bounds.group(1))),
            pytest.approx(float(bounds.group(2))),
        )


@pytest.mark.parametrize("row", [r for r in DOC_ROWS if r.conditions], ids=lambda r: r.link_id)
def test_documented_conditions_are_the_items_enable_when(definition, row):
    item = definition.items_by_id[row.link_id]
    if row.page == "page-details":  # asked inside its topic group
        item = definition.items_by_id[definition.parent_of(row.link_id)]
    expected = {(q, a) for q, a in row.conditions}
    assert {(c.question, c.answer) for c in item.enable_when} == expected
    assert all(c.operator == "=" for c in item.enable_when)
    assert item.enable_behavior == ("any" if len(expected) > 1 else None)


def test_chest_pain_minutes_shares_chest_pain_with_conditions(definition):
    a, b = definition.items_by_id["chest-pain-with"], definition.items_by_id["chest-pain-minutes"]
    assert a.enable_when == b.enable_when and a.enable_behavior == b.enable_behavior == "any"


DETAIL_TOPICS = {
    "spasm-where": "muscle-spasms",
    "spasm-with": "muscle-spasms",
    "spasm-after-exercise": "muscle-spasms",
    "back-cause": "low-back-pain",
    "back-with": "low-back-pain",
    "headache-with": "headache",
    "headache-pattern": "headache",
    "cough-with": "cough-cold",
    "cough-weeks": "cough-cold",
    "throat-with": "sore-throat",
    "heartburn-with": "heartburn",
    "heartburn-when": "heartburn",
    "diarrhoea-with": "diarrhoea",
    "constipation-with": "constipation",
    "urinary-with": "urinary",
    "rash-with": "skin-rash",
    "rash-where": "skin-rash",
    "tired-with": "tiredness",
    "dizzy-with": "dizziness",
    "sleep-problem": "sleep",
    "mood-with": "stress-mood",
    "joint-where": "joint-pain",
    "joint-with": "joint-pain",
    "bp-systolic": "blood-pressure",
    "bp-diastolic": "blood-pressure",
    "bp-with": "blood-pressure",
    "leg-swelling-side": "leg-swelling",
    "leg-swelling-with": "leg-swelling",
    "chest-pain-when": "chest-pain",
    "belly-where": "belly-pain",
    "belly-with": "belly-pain",
    "palpitations-with": "palpitations",
    "palpitations-how": "palpitations",
    "palpitations-trigger": "palpitations",
    "breathing-with": "breathing-problems",
    "breathing-what": "breathing-problems",
    "ens-what": "ear-nose-sinus",
    "ens-with": "ear-nose-sinus",
    "eye-with": "eye",
    "women-what": "womens-health",
    "women-with": "womens-health",
    "men-what": "mens-health",
    "men-with": "mens-health",
    "diabetes-type": "diabetes",
    "diabetes-with": "diabetes",
    "lifestyle-want": "lifestyle",
    "lifestyle-with": "lifestyle",
}


def test_every_detail_item_sits_in_its_topic_group(definition):
    documented = {r.link_id for r in DOC_ROWS if r.page == "page-details"}
    assert documented == set(DETAIL_TOPICS)
    for link_id, topic in DETAIL_TOPICS.items():
        group = definition.items_by_id[definition.parent_of(link_id)]
        assert group.type == "group" and definition.parent_of(group.link_id) == "page-details"
        assert [(c.question, c.operator, c.answer) for c in group.enable_when] == [
            ("reason", "=", topic)
        ]
        assert definition.enabled(link_id, {"reason": [topic]})
        assert not definition.enabled(link_id, {"reason": ["other"]})


def test_every_documented_mood_item_exists(definition):
    ids = doc_mood_ids()
    assert {f"phq9-{n}" for n in range(1, 10)} | {f"gad7-{n}" for n in range(1, 8)} <= ids
    assert {"phq2-total", "phq9-total", "gad2-total", "gad7-total"} <= ids
    assert {"self-harm-plan", "self-harm-intent"} <= ids
    for link_id in ids:
        item = definition.items_by_id[link_id]
        if link_id.endswith("-total"):
            assert item.type == "integer" and item.read_only and item.sum_of
        elif link_id.startswith("self-harm"):
            assert item.type == "boolean"
        else:
            assert item.scored
            assert [(o.code, o.ordinal) for o in item.options] == [(str(n), n) for n in range(4)]
            assert [o.display for o in item.options] == [
                "Not at all",
                "Several days",
                "More than half the days",
                "Nearly every day",
            ]


def test_phq9_item9_uses_the_instruments_wording(definition):
    assert definition.items_by_id["phq9-9"].text == (
        "Thoughts that you would be better off dead, or of hurting yourself in some way"
    )
    assert definition.items_by_id["phq9-1"].text == "Little interest or pleasure in doing things"
    assert definition.items_by_id["gad7-2"].text == "Not being able to stop or control worrying"


def test_totals_sum_the_instrument_items_and_carry_a_fhirpath_for_other_systems():
    by_id = {}

    def walk(items):
        for item in items:
            by_id[item["linkId"]] = item
            walk(item.get("item", []))

    walk(_shipped()["item"])
    expected = {
        "phq2-total": "phq9-1,phq9-2",
        "phq9-total": ",".join(f"phq9-{n}" for n in range(1, 10)),
        "gad2-total": "gad7-1,gad7-2",
        "gad7-total": ",".join(f"gad7-{n}" for n in range(1, 8)),
    }
    for link_id, parts in expected.items():
        extensions = {e["url"]: e for e in by_id[link_id]["extension"]}
        assert extensions[EXT_SUM_OF]["valueString"] == parts
        calculated = extensions[
            "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-calculatedExpression"
        ]["valueExpression"]
        assert calculated["language"] == "text/fhirpath"
        assert all(f"'{p}'" in calculated["expression"] for p in parts.split(","))
        assert by_id[link_id]["readOnly"] is True


def test_none_is_exclusive_wherever_a_multi_select_offers_it(definition):
    for item in definition.items_by_id.values():
        for option in item.options:
            assert option.exclusive == (option.code == "none" and item.repeats), item.link_id


def test_red_flag_follow_ups_are_hidden_until_they_apply(definition):
    nothing_urgent = {"reason": ["headache"], "urgent-now": ["none"]}
    for link_id in ("chest-pain-with", "chest-pain-minutes", "stroke-started", "headache-sudden"):
        assert not definition.enabled(link_id, nothing_urgent)
    assert definition.enabled("stroke-started", {"urgent-now": ["stroke-signs"]})
    assert definition.enabled("headache-sudden", {"urgent-now": ["worst-headache", "fainted"]})
    assert definition.enabled("chest-pain-with", {"urgent-now": ["none"], "reason": ["chest-pain"]})
    assert definition.enabled("chest-pain-minutes", {"urgent-now": ["chest-pain"]})
    for link_id in ("temperature", "fever-with"):
        assert not definition.enabled(link_id, {"fever": False})
        assert not definition.enabled(link_id, {})
        assert definition.enabled(link_id, {"fever": True})


# --------------------------------------------------------------------------- PHQ / GAD gating


@pytest.mark.parametrize(
    ("phq", "reason", "asked"),
    [
        (("0", "0"), ["headache"], False),
        (("1", "0"), ["headache"], False),
        (("1", "1"), ["headache"], True),
        (("0", "2"), ["headache"], True),
        (("3", "3"), ["headache"], True),
        (("0", "0"), ["headache", "stress-mood"], True),
        (("0", None), ["stress-mood"], True),
        (("1", None), ["headache"], False),
    ],
)
def test_rest_of_phq9_is_asked_from_phq2_total_2_or_a_stress_mood_visit(
    definition, phq, reason, asked
):
    answers = {k: v for k, v in mood(phq=phq, reason=reason).items() if v is not None}
    assert all(definition.enabled(link_id, answers) == asked for link_id in PHQ_REST)
    assert ("page-mood-more" in [p.link_id for p in definition.visible_pages(answers)]) == asked


@pytest.mark.parametrize(
    ("gad", "asked"),
    [(("0", "0"), False), (("1", "1"), False), (("2", "1"), True), (("0", "3"), True)],
)
def test_rest_of_gad7_is_asked_from_gad2_total_3(definition, gad, asked):
    answers = mood(gad=gad)
    assert all(definition.enabled(link_id, answers) == asked for link_id in GAD_REST)


def test_a_stress_mood_visit_does_not_open_the_gad7(definition):
    answers = mood(reason=["stress-mood"])
    assert not any(definition.enabled(link_id, answers) for link_id in GAD_REST)


@pytest.mark.parametrize(("item9", "asked"), [("0", False), ("1", True), ("2", True), ("3", True)])
def test_self_harm_questions_only_when_phq9_item9_is_above_0(definition, item9, asked):
    answers = mood(phq=("2", "2"), **{"phq9-9": item9})
    for link_id in ("self-harm-plan", "self-harm-intent", "self-harm-intro"):
        assert definition.enabled(link_id, answers) == asked


def test_self_harm_questions_stay_hidden_while_item9_is_unanswered(definition):
    assert not definition.enabled("self-harm-plan", mood(phq=("2", "2")))


def test_self_harm_questions_hide_when_item9_itself_is_hidden(definition):
    # An old item-9 answer does not count once the PHQ-2 falls below 2.
    answers = mood(phq=("0", "1"), **{"phq9-9": "3"})
    assert not definition.enabled("self-harm-plan", answers)


def test_totals_appear_only_when_every_item_was_asked_and_answered(definition):
    answers = mood(phq=("2", "1"), gad=("1", "1"))
    assert definition.compute_totals(answers) == {"phq2-total": 3, "gad2-total": 2}
    answers.update({link_id: "1" for link_id in PHQ_REST[:-1]})
    assert "phq9-total" not in definition.compute_totals(answers)
    answers["phq9-9"] = "2"
    assert definition.compute_totals(answers)["phq9-total"] == 3 + 6 + 2
    # Items the patient was not asked never make a total.
    low = mood(phq=("0", "1"), **{link_id: "3" for link_id in PHQ_REST})
    assert "phq9-total" not in definition.compute_totals(low)
    assert "phq2-total" not in definition.compute_totals({"phq9-1": "1"})


def test_for_advice_gives_scores_as_ints_adds_totals_and_drops_hidden_answers(definition):
    answers = {
        "reason": ["muscle-spasms"],
        "urgent-now": ["none"],
        "chest-pain-minutes": "over-15",  # hidden: no chest pain
        "fever": False,
        "temperature": 38.2,  # hidden: no fever
        **mood(phq=("1", "1"), gad=("0", "1")),
        **{link_id: "0" for link_id in PHQ_REST},
    }
    advice = definition.for_advice(answers)
    assert advice["phq9-1"] == 1 and isinstance(advice["phq9-1"], int)
    assert advice["phq2-total"] == 2 and advice["phq9-total"] == 2
    assert advice["gad2-total"] == 1 and "gad7-total" not in advice
    assert "chest-pain-minutes" not in advice and "temperature" not in advice
    assert advice["reason"] == ["muscle-spasms"] and advice["fever"] is False


# --------------------------------------------------------------------------- a whole visit


V13_PAGES = {
    # woman, 42: frequent spasms in legs and back, also at rest; drinks plenty;
    # desk job, sits most of the day; no weakness or numbness
    "page-reason": {
        "reason": ["muscle-spasms"],
        "reason-words": ["Cramps in my legs and back, most days."],
    },
    "page-urgent": {"urgent-now": ["none"]},
    "page-symptoms": {
        "since": ["1-3-months"],
        "how-often": ["daily"],
        "worse-with": ["no-difference"],
        "at-rest": ["true"],
        "at-night": ["true"],
        "severity": ["5"],
        "fever": ["false"],
        "weight-loss": ["false"],
    },
    "page-details": {
        "spasm-where": ["legs", "back"],
        "spasm-with": ["none"],
        "spasm-after-exercise": ["false"],
    },
    "page-lifestyle": {
        "fluids": ["plenty"],
        "exercise": ["rarely"],
        "sitting": ["over-8"],
        "stress": ["some"],
        "sleep-hours": ["6-8"],
        "sleep-quality": ["fair"],
        "caffeine": ["1-2"],
        "alcohol": ["some"],
        "smoking": ["never"],
    },
    "page-health": {
        "medicines": [""],
        "allergies": ["None"],
        "conditions": ["none"],
        "medicine-classes": ["none"],
    },
    "page-mood": {"phq9-1": ["0"], "phq9-2": ["1"], "gad7-1": ["1"], "gad7-2": ["0"]},
}


def fill(definition, pages, today=TODAY):
    answers, seen = {}, []
    while (page := definition.first_unanswered_page(answers, seen=seen)) is not None:
        cleaned, errors = definition.clean_page(
            page.link_id, pages[page.link_id], answers, today=today
        )
        assert errors == {}, (page.link_id, errors)
        answers = definition.with_page(answers, page.link_id, cleaned)
        seen.append(page.link_id)
    return answers, seen


def test_v13_muscle_spasms_walks_through_seven_pages(definition):
    answers, seen = fill(definition, V13_PAGES)
    assert seen == list(V13_PAGES)
    advice = definition.for_advice(answers)
    assert advice["fluids"] == "plenty" and advice["sitting"] == "over-8"
    assert advice["spasm-with"] == ["none"] and advice["at-rest"] is True
    assert advice["phq2-total"] == 1 and advice["gad2-total"] == 1
    assert "phq9-3" not in advice


def count_questions_shown(definition, answers):
    shown = 0
    for page in definition.visible_pages(answers):
        shown += sum(
            1 for q in page.walk() if q.is_question and definition.enabled(q.link_id, answers)
        )
    return shown


def test_a_typical_visit_asks_about_thirty_questions(definition):
    """V13 sees 31 questions on 7 pages: 2 + 1 + 8 + 3 + 9 + 4 + 4.

    Version 2 added one question everyone answers (the medicine classes); its new emergencies
    sit in the same checklist, so a patient with none of them still answers it in one tap.
    """
    answers, _ = fill(definition, V13_PAGES)
    per_page = {
        page.link_id: sum(
            1 for q in page.walk() if q.is_question and definition.enabled(q.link_id, answers)
        )
        for page in definition.visible_pages(answers)
    }
    assert per_page == {
        "page-reason": 2,
        "page-urgent": 1,
        "page-symptoms": 8,
        "page-details": 3,
        "page-lifestyle": 9,
        "page-health": 4,
        "page-mood": 4,
    }
    assert count_questions_shown(definition, answers) == 31
    assert len(definition.questions()) == 100  # every question there is, for scale


def test_a_low_mood_visit_adds_the_phq9_and_the_self_harm_questions(definition):
    pages = copy.deepcopy(V13_PAGES)
    pages["page-reason"] = {"reason": ["stress-mood"]}
    pages["page-details"] = {"mood-with": ["low", "work-stress"]}
    pages["page-mood"] = {"phq9-1": ["2"], "phq9-2": ["2"], "gad7-1": ["1"], "gad7-2": ["1"]}
    pages["page-mood-more"] = {
        **{link_id: ["1"] for link_id in PHQ_REST},
        "self-harm-plan": ["false"],
        "self-harm-intent": ["false"],
    }
    answers, seen = fill(definition, pages)
    assert seen[-1] == "page-mood-more"
    advice = definition.for_advice(answers)
    assert advice["phq9-total"] == 4 + 7 and advice["phq9-9"] == 1
    assert advice["self-harm-plan"] is False
