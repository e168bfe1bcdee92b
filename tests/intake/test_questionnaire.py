"""The questionnaire engine and the shipped general pre-visit questionnaire."""

import copy
import json
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from intake.questionnaire import (
    ANSWER_SYSTEM,
    EXT_SUM_OF,
    GENERAL_PREVISIT,
    Definition,
    DefinitionError,
    general_previsit,
)

ROOT = Path(__file__).resolve().parents[2]
ANSWERS_DOC = ROOT / "docs" / "answers.md"
TODAY = date(2025, 6, 15)


@pytest.fixture(scope="module")
def definition():
    return general_previsit()


def _shipped() -> dict:
    return json.loads(GENERAL_PREVISIT.read_text(encoding="utf-8"))


def coding(code):
    return {"system": ANSWER_SYSTEM, "code": code}


def make(*items, **top):
    """A one-page questionnaire around the given items."""
    return {
        "resourceType": "Questionnaire",
        "url": "http://previsit.local/fhir/Questionnaire/test",
        "version": "1",
        "status": "active",
        "item": [{"linkId": "page-1", "type": "group", "text": "Page one", "item": list(items)}],
        **top,
    }


def choice(link_id, codes, **extra):
    return {
        "linkId": link_id,
        "type": "choice",
        "text": f"Question {link_id}?",
        "answerOption": [{"valueCoding": {**coding(c), "display": c.title()}} for c in codes],
        **extra,
    }


def question(link_id, type_, **extra):
    return {"linkId": link_id, "type": type_, "text": f"Question {link_id}?", **extra}


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
    assert definition.version == "1"
    assert definition.name == "GeneralPrevisit"
    assert definition.title == "General pre-visit questionnaire"
    assert definition.canonical == definition.url + "|1"
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


def mood(phq=("0", "0"), gad=("0", "0"), **more):
    return {"phq9-1": phq[0], "phq9-2": phq[1], "gad7-1": gad[0], "gad7-2": gad[1], **more}


PHQ_REST = [f"phq9-{n}" for n in range(3, 10)]
GAD_REST = [f"gad7-{n}" for n in range(3, 8)]


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


# --------------------------------------------------------------------------- enableWhen operators


def operator_definition(type_, operator, answer_key, answer_value, behavior=None, extra=()):
    source = {"integer": question("q", "integer"), "decimal": question("q", "decimal")}
    source |= {
        "date": question("q", "date"),
        "boolean": question("q", "boolean"),
        "string": question("q", "string"),
        "choice": choice("q", ["a", "b", "c"], repeats=True),
    }
    conditions = [{"question": "q", "operator": operator, answer_key: answer_value}, *extra]
    target = question("t", "boolean", enableWhen=conditions)
    if behavior:
        target["enableBehavior"] = behavior
    return Definition.from_fhir(make(source[type_], target))


@pytest.mark.parametrize(
    ("type_", "operator", "key", "expected", "answers"),
    [
        # = : at least one answer equals
        ("integer", "=", "answerInteger", 5, {5: True, 4: False, None: False}),
        ("boolean", "=", "answerBoolean", True, {True: True, False: False, None: False}),
        ("string", "=", "answerString", "yes", {"yes": True, "no": False, None: False}),
        ("date", "=", "answerDate", "2024-01-02", {"2024-01-02": True, "2024-01-03": False}),
        # != : no answer equals (so true when unanswered, as FHIR words it)
        ("integer", "!=", "answerInteger", 5, {5: False, 4: True, None: True}),
        ("boolean", "!=", "answerBoolean", True, {True: False, False: True, None: True}),
        # > < >= <= : at least one answer compares so; false when unanswered
        ("integer", ">", "answerInteger", 5, {6: True, 5: False, None: False}),
        ("integer", "<", "answerInteger", 5, {4: True, 5: False, None: False}),
        ("integer", ">=", "answerInteger", 5, {5: True, 4: False, None: False}),
        ("integer", "<=", "answerInteger", 5, {5: True, 6: False, None: False}),
        ("decimal", ">", "answerDecimal", 38.0, {38.5: True, 38.0: False, None: False}),
        ("decimal", "<=", "answerDecimal", 38.0, {38.0: True, 38.1: False}),
        ("date", ">", "answerDate", "2024-01-02", {"2024-01-03": True, "2024-01-02": False}),
        ("date", "<", "answerDate", "2024-01-02", {"2024-01-01": True, "2025-01-01": False}),
        # exists
        ("integer", "exists", "answerBoolean", True, {0: True, None: False}),
        ("integer", "exists", "answerBoolean", False, {0: False, None: True}),
    ],
)
def test_enable_when_operators(type_, operator, key, expected, answers):
    definition = operator_definition(type_, operator, key, expected)
    for value, enabled in answers.items():
        given = {} if value is None else {"q": value}
        assert definition.enabled("t", given) is enabled, (value, enabled)


def test_enable_when_on_a_multi_select_looks_at_every_answer():
    equals = operator_definition("choice", "=", "answerCoding", coding("b"))
    assert equals.enabled("t", {"q": ["a", "b"]})
    assert not equals.enabled("t", {"q": ["a", "c"]})
    differs = operator_definition("choice", "!=", "answerCoding", coding("b"))
    assert not differs.enabled("t", {"q": ["a", "b"]})
    assert differs.enabled("t", {"q": ["a", "c"]})
    assert differs.enabled("t", {})


def test_enable_behavior_all_and_any():
    at_least_two = {"question": "q", "operator": ">=", "answerInteger": 2}
    both = operator_definition("integer", "<=", "answerInteger", 4, "all", [at_least_two])
    either = operator_definition("integer", "<=", "answerInteger", 4, "any", [at_least_two])
    assert [both.enabled("t", {"q": n}) for n in (1, 3, 5)] == [False, True, False]
    assert [either.enabled("t", {"q": n}) for n in (1, 3, 5)] == [True, True, True]
    assert not either.enabled("t", {})


def test_a_disabled_question_counts_as_unanswered_down_the_chain():
    definition = Definition.from_fhir(
        make(
            question("a", "boolean"),
            question(
                "b",
                "boolean",
                enableWhen=[{"question": "a", "operator": "=", "answerBoolean": True}],
            ),
            question(
                "c",
                "string",
                enableWhen=[{"question": "b", "operator": "=", "answerBoolean": True}],
            ),
        )
    )
    assert definition.enabled("c", {"a": True, "b": True})
    assert not definition.enabled("c", {"a": False, "b": True})


def test_items_in_a_disabled_group_are_disabled(definition):
    assert not definition.enabled("spasm-where", {"reason": ["headache"]})
    assert not definition.enabled("topic-muscle-spasms", {"reason": ["headache"]})


# --------------------------------------------------------------------------- definition errors


def _broken(mutate):
    resource = make(
        choice("colour", ["red", "blue", "none"]),
        question("size", "integer"),
        question("note", "string", maxLength=50),
    )
    mutate(resource["item"][0]["item"])
    return resource


@pytest.mark.parametrize(
    ("mutate", "link_id", "words"),
    [
        (lambda items: items.append(question("size", "string")), "size", "used twice"),
        (
            lambda items: items[1].update(
                enableWhen=[{"question": "nope", "operator": "exists", "answerBoolean": True}]
            ),
            "size",
            "unknown item 'nope'",
        ),
        (
            lambda items: items[1].update(
                enableWhen=[{"question": "colour", "operator": ">", "answerCoding": coding("red")}]
            ),
            "size",
            "not allowed for a choice",
        ),
        (
            lambda items: items[1].update(
                enableWhen=[
                    {"question": "colour", "operator": "=", "answerCoding": coding("green")}
                ]
            ),
            "size",
            "'green' is not one of its options",
        ),
        (
            lambda items: items[1].update(
                enableWhen=[{"question": "colour", "operator": "=", "answerString": "red"}]
            ),
            "size",
            "answerString does not match",
        ),
        (
            lambda items: items[1].update(
                enableWhen=[{"question": "note", "operator": "exists", "answerString": "x"}]
            ),
            "size",
            "'exists' needs answerBoolean",
        ),
        (
            lambda items: items[1].update(
                enableWhen=[{"question": "size", "operator": "=", "answerInteger": 1}]
            ),
            "size",
            "the item itself",
        ),
        (
            lambda items: items[1].update(
                enableWhen=[{"question": "colour", "operator": "==", "answerCoding": coding("red")}]
            ),
            "size",
            "not a FHIR operator",
        ),
        (
            lambda items: items[1].update(
                enableWhen=[
                    {"question": "colour", "operator": "exists", "answerBoolean": True},
                    {"question": "note", "operator": "exists", "answerBoolean": True},
                ]
            ),
            "size",
            "needs enableBehavior",
        ),
        (
            lambda items: items[0]["answerOption"].append({"valueString": "x"}),
            "colour",
            "valueString",
        ),
        (
            lambda items: items[0]["answerOption"][0]["valueCoding"].pop("display"),
            "colour",
            "display",
        ),
        (
            lambda items: items[0]["answerOption"].append(items[0]["answerOption"][0]),
            "colour",
            "share a code",
        ),
        (lambda items: items[0].pop("answerOption"), "colour", "needs answerOption"),
        (lambda items: items[1].update(type="attachment"), "size", "not supported"),
        (lambda items: items[1].update(maxLength=3), "size", "maxLength"),
        (lambda items: items[2].update(repeats=True), "note", "repeats"),
        (lambda items: items[1].update(readOnly=True), "size", "readOnly"),
        (lambda items: items[1].update(answerValueSet="http://x"), "size", "answerValueSet"),
        (lambda items: items[1].pop("text"), "size", "needs a text"),
        (
            lambda items: items[1].update(
                extension=[
                    {"url": "http://hl7.org/fhir/StructureDefinition/minValue", "valueInteger": 9},
                    {"url": "http://hl7.org/fhir/StructureDefinition/maxValue", "valueInteger": 1},
                ]
            ),
            "size",
            "minValue is above maxValue",
        ),
        (
            lambda items: items[0]["answerOption"][2].update(
                extension=[
                    {
                        "url": "http://hl7.org/fhir/StructureDefinition/questionnaire-optionExclusive",
                        "valueBoolean": True,
                    }
                ]
            ),
            "colour",
            "does not repeat",
        ),
        (
            lambda items: items.append(
                question(
                    "sum",
                    "integer",
                    readOnly=True,
                    extension=[{"url": EXT_SUM_OF, "valueString": "colour,size"}],
                )
            ),
            "sum",
            "neither scored nor an integer",
        ),
    ],
)
def test_bad_definitions_are_refused_naming_the_item(mutate, link_id, words):
    with pytest.raises(DefinitionError) as error:
        Definition.from_fhir(_broken(mutate))
    assert error.value.link_id == link_id
    assert words in str(error.value)
    assert f"'{link_id}'" in str(error.value)


def test_items_that_depend_on_each_other_in_a_loop_are_refused():
    resource = make(
        question(
            "a",
            "boolean",
            enableWhen=[{"question": "b", "operator": "exists", "answerBoolean": True}],
        ),
        question(
            "b",
            "boolean",
            enableWhen=[{"question": "a", "operator": "exists", "answerBoolean": True}],
        ),
    )
    with pytest.raises(DefinitionError, match="loop"):
        Definition.from_fhir(resource)


def test_a_group_enabled_by_its_own_child_is_a_loop():
    resource = make(
        {
            "linkId": "g",
            "type": "group",
            "text": "Group",
            "enableWhen": [{"question": "inner", "operator": "exists", "answerBoolean": True}],
            "item": [question("inner", "boolean")],
        }
    )
    with pytest.raises(DefinitionError, match="loop"):
        Definition.from_fhir(resource)


def test_top_level_items_must_be_pages():
    resource = make()
    resource["item"] = [question("loose", "boolean")]
    with pytest.raises(DefinitionError, match="top-level"):
        Definition.from_fhir(resource)


def test_a_calculated_expression_we_cannot_evaluate_is_refused():
    calculated = {
        "url": "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-calculatedExpression",
        "valueExpression": {"language": "text/fhirpath", "expression": "1 + 1"},
    }
    resource = make(question("x", "integer", readOnly=True, extension=[calculated]))
    with pytest.raises(DefinitionError, match="sum-of"):
        Definition.from_fhir(resource)


def test_the_original_json_is_kept_for_export(definition):
    exported = definition.to_fhir()
    assert exported == _shipped()
    exported["item"].clear()
    assert definition.to_fhir() == _shipped()


def test_a_definition_does_not_change_when_its_source_does():
    resource = make(question("x", "integer"))
    parsed = Definition.from_fhir(resource)
    resource["item"][0]["item"][0]["type"] = "string"
    assert parsed.to_fhir()["item"][0]["item"][0]["type"] == "integer"


# --------------------------------------------------------------------------- clean_page


def clean(definition, page, raw, current=None):
    return definition.clean_page(page, raw, current or {}, today=TODAY)


def test_clean_page_turns_posted_strings_into_answers(definition):
    cleaned, errors = clean(
        definition,
        "page-symptoms",
        {
            "since": ["1-4-weeks"],
            "how-often": ["daily"],
            "at-rest": ["true"],
            "at-night": ["false"],
            "severity": [" 6 "],
            "fever": ["true"],
            "temperature": ["38,6"],
            "fever-with": ["shaking-chills", "stiff-neck"],
            "weight-loss": [""],
        },
    )
    assert errors == {}
    assert cleaned == {
        "since": "1-4-weeks",
        "how-often": "daily",
        "at-rest": True,
        "at-night": False,
        "severity": 6,
        "fever": True,
        "temperature": 38.6,
        "fever-with": ["stiff-neck", "shaking-chills"],  # the order shown
    }


def test_clean_page_accepts_a_querydict_like_mapping(definition):
    class MultiValue(dict):
        def getlist(self, key):
            return self[key]

        def __getitem__(self, key):
            return dict.__getitem__(self, key)

    raw = MultiValue({"reason": ["headache", "fever"]})
    cleaned, errors = clean(definition, "page-reason", raw)
    assert errors == {} and cleaned == {"reason": ["headache", "fever"]}


def test_required_question_left_blank_names_the_question(definition):
    _, errors = clean(
        definition, "page-symptoms", {"since": [""], "severity": ["2"], "fever": ["false"]}
    )
    assert errors == {"since": "Please choose an answer for 'How long have you had it?'."}


@pytest.mark.parametrize(
    ("page", "raw", "link_id", "message"),
    [
        (
            "page-symptoms",
            {"severity": ["11"]},
            "severity",
            "Severity must be a whole number from 0 to 10.",
        ),
        (
            "page-symptoms",
            {"severity": ["-1"]},
            "severity",
            "Severity must be a whole number from 0 to 10.",
        ),
        (
            "page-symptoms",
            {"severity": ["6.5"]},
            "severity",
            "Severity must be a whole number from 0 to 10.",
        ),
        (
            "page-symptoms",
            {"severity": ["six"]},
            "severity",
            "Severity must be a whole number from 0 to 10.",
        ),
        ("page-symptoms", {"fever": ["maybe"]}, "fever", "Please answer yes or no for"),
        (
            "page-symptoms",
            {"fever": ["true"], "temperature": ["101.5"]},
            "temperature",
            "Temperature must be a number from 34 to 43 °C.",
        ),
        (
            "page-symptoms",
            {"fever": ["true"], "temperature": ["nan"]},
            "temperature",
            "must be a number",
        ),
        (
            "page-symptoms",
            {"since": ["yesterday"]},
            "since",
            "'yesterday' is not one of the choices",
        ),
        (
            "page-symptoms",
            {"since": ["today", "1-3-days"]},
            "since",
            "Please choose only one answer",
        ),
        ("page-symptoms", {"fever": ["true", "false"]}, "fever", "Please choose only one answer"),
        (
            "page-reason",
            {"reason": ["other"], "reason-other": ["x" * 201]},
            "reason-other",
            "200 characters",
        ),
        ("page-reason", {"reason-words": ["y" * 2001]}, "reason-words", "2000 characters"),
        (
            "page-urgent",
            {"urgent-now": ["none", "fainted"]},
            "urgent-now",
            "'None of these' cannot be chosen",
        ),
        (
            "page-health",
            {"conditions": ["diabetes", "none"]},
            "conditions",
            "'None of these' cannot be chosen",
        ),
    ],
)
def test_clean_page_rejects_bad_input(definition, page, raw, link_id, message):
    base = {
        "page-symptoms": {"since": ["today"], "severity": ["3"], "fever": ["false"]},
        "page-reason": {"reason": ["headache"]},
        "page-urgent": {"urgent-now": ["none"]},
        "page-health": {},
    }[page]
    cleaned, errors = clean(definition, page, {**base, **raw})
    assert message in errors[link_id]
    assert link_id not in cleaned


def test_text_answers_count_line_breaks_once(definition):
    cleaned, errors = clean(
        definition, "page-reason", {"reason": ["headache"], "reason-words": ["a\r\n" * 600]}
    )
    assert errors == {} and cleaned["reason-words"] == "\n".join(["a"] * 600)


def test_unknown_and_other_page_fields_are_reported_together(definition):
    cleaned, errors = clean(
        definition,
        "page-reason",
        {
            "reason": ["headache"],
            "favourite-colour": ["red"],
            "severity": ["3"],
            "phq2-total": ["6"],
        },
    )
    assert errors == {
        "__all__": "These are not questions on this page: favourite-colour, phq2-total, severity."
    }
    assert cleaned == {"reason": ["headache"]}


def test_answers_to_hidden_questions_are_dropped_not_stored(definition):
    cleaned, errors = clean(
        definition,
        "page-symptoms",
        {
            "since": ["today"],
            "severity": ["3"],
            "fever": ["false"],
            "temperature": ["39"],
            "fever-with": ["nonsense"],
        },
    )
    assert errors == {}  # not even the bad code: the question was not asked
    assert "temperature" not in cleaned and "fever-with" not in cleaned


def test_clean_page_decides_conditions_with_earlier_pages_answers(definition):
    posted = {"urgent-now": ["none"], "chest-pain-minutes": ["over-15"]}
    cleaned, _ = clean(definition, "page-urgent", posted, {"reason": ["chest-pain"]})
    assert cleaned["chest-pain-minutes"] == "over-15"
    cleaned, _ = clean(definition, "page-urgent", posted, {"reason": ["headache"]})
    assert "chest-pain-minutes" not in cleaned


def test_clean_page_ignores_the_pages_old_answers(definition):
    # The page's new post replaces its old answers, so a stale "fever: true" cannot
    # keep the temperature question open.
    current = {"fever": True, "temperature": 39.0}
    cleaned, _ = clean(
        definition,
        "page-symptoms",
        {"since": ["today"], "severity": ["1"], "temperature": ["39"]},
        current,
    )
    assert "temperature" not in cleaned


def test_required_questions_on_hidden_items_are_not_demanded():
    resource = make(
        question("a", "boolean"),
        question(
            "b",
            "string",
            required=True,
            enableWhen=[{"question": "a", "operator": "=", "answerBoolean": True}],
        ),
    )
    definition = Definition.from_fhir(resource)
    assert definition.clean_page("page-1", {"a": ["false"]}, {}) == ({"a": False}, {})
    assert "b" in definition.clean_page("page-1", {"a": ["true"]}, {})[1]


def date_definition():
    return Definition.from_fhir(
        make(
            question(
                "started",
                "date",
                extension=[
                    {
                        "url": "http://hl7.org/fhir/StructureDefinition/minValue",
                        "valueDate": "1900-01-01",
                    }
                ],
            )
        )
    )


@pytest.mark.parametrize(
    ("posted", "message"),
    [
        ("2025-06-16", "cannot be in the future"),
        ("2025-02-30", "Please give a date like 2024-05-31"),
        ("15/06/2025", "Please give a date like 2024-05-31"),
        ("2025-06", "Please give a date like 2024-05-31"),
        ("1899-12-31", "on or after 1900-01-01"),
    ],
)
def test_dates_must_be_real_and_not_in_the_future(posted, message):
    _, errors = date_definition().clean_page("page-1", {"started": [posted]}, {}, today=TODAY)
    assert message in errors["started"]


def test_a_date_of_today_is_fine():
    assert date_definition().clean_page("page-1", {"started": ["2025-06-15"]}, {}, today=TODAY) == (
        {"started": "2025-06-15"},
        {},
    )


def test_open_choice_takes_a_code_or_free_text():
    definition = Definition.from_fhir(
        make({**choice("pet", ["cat", "dog"]), "type": "open-choice", "maxLength": 10})
    )
    assert definition.clean_page("page-1", {"pet": ["dog"]}, {})[0] == {"pet": "dog"}
    assert definition.clean_page("page-1", {"pet": ["hamster"]}, {})[0] == {"pet": "hamster"}
    assert "10 characters" in definition.clean_page("page-1", {"pet": ["x" * 11]}, {})[1]["pet"]


# --------------------------------------------------------------------------- prune and pages


def test_prune_drops_answers_an_earlier_change_hides(definition):
    answers = {
        "reason": ["muscle-spasms"],
        "spasm-with": ["weakness"],
        "fever": True,
        "temperature": 39.1,
        "fever-with": ["stiff-neck"],
        **mood(phq=("2", "1")),
        **{link_id: "1" for link_id in PHQ_REST},
        "self-harm-plan": False,
        "unknown-item": "x",
        "phq2-total": 3,
    }
    changed = {**answers, "reason": ["headache"], "fever": False, "phq9-1": "0", "phq9-2": "0"}
    pruned = definition.prune(changed)
    assert "spasm-with" not in pruned
    assert "temperature" not in pruned and "fever-with" not in pruned
    assert not any(link_id in pruned for link_id in PHQ_REST)
    assert "self-harm-plan" not in pruned  # hidden because phq9-9 went too
    assert "unknown-item" not in pruned and "phq2-total" not in pruned
    assert pruned["reason"] == ["headache"] and pruned["phq9-1"] == "0"
    assert definition.prune(pruned) == pruned


def test_prune_does_not_change_its_input(definition):
    answers = {"reason": ["headache"], "spasm-where": ["legs"]}
    before = copy.deepcopy(answers)
    definition.prune(answers)
    assert answers == before


def test_with_page_replaces_a_page_and_prunes(definition):
    answers = {"reason": ["headache"], "fever": True, "temperature": 39.0, "since": "today"}
    merged = definition.with_page(answers, "page-symptoms", {"since": "1-3-days", "fever": False})
    assert merged == {"reason": ["headache"], "since": "1-3-days", "fever": False}


def test_visible_pages_skip_pages_with_nothing_to_ask(definition):
    visible = [p.link_id for p in definition.visible_pages({"reason": ["other"]})]
    assert "page-details" not in visible and "page-mood-more" not in visible
    visible = [p.link_id for p in definition.visible_pages({"reason": ["sleep"]})]
    assert "page-details" in visible


def test_first_unanswered_page_and_progress(definition):
    assert definition.first_unanswered_page({}).link_id == "page-reason"
    answers = {"reason": ["other"], "urgent-now": ["none"]}
    assert definition.first_unanswered_page(answers).link_id == "page-symptoms"
    answers |= {"since": "today", "severity": 2, "fever": False}
    answers |= {"phq9-1": "0", "phq9-2": "0", "gad7-1": "0", "gad7-2": "0"}
    # Lifestyle is all optional: it is done once the patient has been through it.
    assert definition.first_unanswered_page(answers).link_id == "page-lifestyle"
    seen = [
        "page-reason",
        "page-urgent",
        "page-symptoms",
        "page-lifestyle",
        "page-health",
        "page-mood",
    ]
    assert definition.first_unanswered_page(answers, seen=seen) is None
    assert definition.incomplete_pages(answers) == []
    assert definition.incomplete_pages({"reason": ["other"]}) == [
        "page-urgent",
        "page-symptoms",
        "page-mood",
    ]
    assert definition.page_progress("page-reason", answers) == (1, 6)
    assert definition.page_progress("page-mood", answers) == (6, 6)
    assert definition.page_progress("page-mood", answers).percent == 100


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
    "page-health": {"medicines": [""], "allergies": ["None"], "conditions": ["none"]},
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
    """V13 sees 30 questions on 7 pages: 2 + 1 + 8 + 3 + 9 + 3 + 4."""
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
        "page-health": 3,
        "page-mood": 4,
    }
    assert count_questions_shown(definition, answers) == 30
    assert len(definition.questions()) == 77  # every question there is, for scale


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
