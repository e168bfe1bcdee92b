"""The clinician's pre-visit summary (advice/summary.py, advice/content/summary.yaml).

Three things are held here: the wording and the questionnaire agree (a new option or question
fails the build rather than dropping out of the summary); every vignette's summary says only
what its answers say; and a few vignettes read exactly as a clinician should see them.
"""

from __future__ import annotations

import ast
import copy
import json
import re
from functools import cache
from typing import Any

import pytest
import yaml

import advice
from advice import ContentError, Library, SummaryLibrary, SummaryLine, summarize
from advice.summary import SUMMARY_FILE
from tests.advice.support import ROOT
from tests.vignette_answers import VIGNETTES

QUESTIONNAIRE = ROOT / "intake" / "questionnaires" / "general-previsit.json"
SCORING = ROOT / "intake" / "questionnaires" / "scoring.py"
SUM_OF = "http://previsit.local/fhir/StructureDefinition/sum-of"
ORDINAL = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
IDS = sorted(VIGNETTES)
FREE_TEXT = {"reason-other", "reason-words", "medicines", "allergies"}
WORDS_OF = {
    vignette_id: {
        q: VIGNETTES[vignette_id]["answers"][q]
        for q in ("reason-other", "reason-words")
        if q in VIGNETTES[vignette_id]["answers"]
    }
    for vignette_id in IDS
}


def library() -> SummaryLibrary:
    return SummaryLibrary.from_file()


def summary_of(vignette_id: str):
    case = VIGNETTES[vignette_id]
    return summarize(case["answers"], age=case["age"])


def texts(summary, heading: str) -> list[str]:
    section = summary.section(heading)
    return [line.text for line in section.lines] if section else []


# --- the wording against the questionnaire (read as JSON, not through intake) -----------


def items_of(questionnaire: dict) -> dict[str, dict]:
    found = {}

    def walk(items):
        for item in items:
            found[item["linkId"]] = item
            walk(item.get("item", []))

    walk(questionnaire["item"])
    return found


@cache
def _questionnaire() -> str:
    return QUESTIONNAIRE.read_text("utf-8")


def questionnaire() -> dict:
    return json.loads(_questionnaire())


def codes_of(item: dict) -> list[str]:
    return [option["valueCoding"]["code"] for option in item.get("answerOption", [])]


FHIR_TYPES = {
    "choice": {"choice", "open-choice"},
    "checklist": {"choice"},
    "boolean": {"boolean"},
    "number": {"integer", "decimal"},
    "words": {"string", "text"},
    "score": {"choice"},
    "total": {"integer"},
}


def drift(questionnaire: dict, wording: SummaryLibrary) -> list[str]:
    """What the questionnaire asks that the summary would miss, or names that it doesn't ask."""
    items = items_of(questionnaire)
    problems = []
    for link_id, read in wording.wording.items():
        item = items.get(link_id)
        if item is None:
            problems.append(f"{link_id}: not in the questionnaire")
            continue
        if item["type"] not in FHIR_TYPES[read.kind]:
            problems.append(f"{link_id}: read as {read.kind}, asked as {item['type']}")
            continue
        codes = codes_of(item)
        if read.kind == "checklist":
            if not item.get("repeats") or "none" not in codes:
                problems.append(f"{link_id}: a checklist needs repeats and a 'none' option")
            codes = [code for code in codes if code != "none"]
        if read.kind in ("choice", "checklist"):
            missing = [code for code in codes if code not in read.phrases]
            extra = [code for code in read.phrases if code not in codes]
            problems += [f"{link_id}: no phrase for {code!r}" for code in missing]
            problems += [f"{link_id}: no answer code {code!r}" for code in extra]
            if not missing and not extra and list(read.phrases) != codes:
                problems.append(f"{link_id}: phrases not in the questionnaire's order")
        if read.kind == "score":
            ordinals = [
                next(e["valueDecimal"] for e in o["extension"] if e["url"] == ORDINAL)
                for o in item["answerOption"]
            ]
            if codes != ["0", "1", "2", "3"] or ordinals != [0, 1, 2, 3]:
                problems.append(f"{link_id}: not scored 0-3")
    asked = {link_id for link_id, item in items.items() if item["type"] not in ("group", "display")}
    problems += [
        f"{link_id}: asked but not in the summary"
        for link_id in sorted(asked)
        if link_id not in wording.wording
    ]
    for instrument in wording.instruments:
        total = items.get(instrument.total, {})
        sums = next(
            (e["valueString"] for e in total.get("extension", []) if e["url"] == SUM_OF), ""
        )
        if sums.split(",") != list(instrument.items):
            problems.append(f"{instrument.name}: {instrument.total} sums {sums!r}")
    return problems


def test_the_summary_reads_every_question_and_every_option_the_questionnaire_asks():
    assert drift(questionnaire(), library()) == []


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (
            lambda items: items["spasm-with"]["answerOption"].insert(
                0, {"valueCoding": {"code": "cold-feet", "display": "Cold feet"}}
            ),
            "spasm-with: no phrase for 'cold-feet'",
        ),
        (
            lambda items: items["page-symptoms"]["item"].append(
                {"linkId": "cough-at-night", "type": "boolean", "text": "Cough at night?"}
            ),
            "cough-at-night: asked but not in the summary",
        ),
        (lambda items: items["fever"].update(type="string"), "fever: read as boolean"),
        (
            lambda items: items["urgent-now"]["answerOption"].pop(),
            "urgent-now: a checklist needs repeats and a 'none' option",
        ),
        (
            lambda items: items["gad7-total"]["extension"][-1].update(valueString="gad7-1"),
            "GAD-7: gad7-total sums 'gad7-1'",
        ),
    ],
)
def test_a_questionnaire_change_the_summary_does_not_follow_is_caught(change, problem):
    changed = questionnaire()
    change(items_of(changed))
    assert any(found.startswith(problem) for found in drift(changed, library()))


def test_the_item_9_frequencies_are_the_questionnaires_own_options():
    options = items_of(questionnaire())["phq9-9"]["answerOption"]
    displays = {int(o["valueCoding"]["code"]): o["valueCoding"]["display"] for o in options}
    assert {score: text.lower() for score, text in displays.items()} == dict(
        library().item9.frequency
    )


def scoring_bands(name: str) -> tuple[tuple[int, str], ...]:
    """A band table of intake/questionnaires/scoring.py, read as data (advice imports no intake)."""
    for node in ast.parse(SCORING.read_text("utf-8")).body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == name:
            return ast.literal_eval(node.value)
    raise LookupError(f"{name} is not in {SCORING.name}")


@pytest.mark.parametrize(
    ("name", "table", "maximum"), [("PHQ-9", "PHQ9_BANDS", 27), ("GAD-7", "GAD7_BANDS", 21)]
)
def test_every_total_gets_the_band_intake_scoring_gives_it(name, table, maximum):
    bands = scoring_bands(table)
    items = next(i for i in library().instruments if i.name == name).items
    for total in range(maximum + 1):
        scores = [min(3, max(0, total - 3 * n)) for n in range(len(items))]
        summary = summarize(dict(zip(items, scores, strict=True)))
        line = next(t for t in texts(summary, "Screening") if re.match(rf"{name} \d", t))
        band = next(label for lowest, label in bands if total >= lowest)
        assert line == f"{name} {total}/{maximum}: {band}"


# --- every vignette ----------------------------------------------------------------------


@pytest.mark.parametrize("vignette_id", IDS)
def test_every_line_names_only_answers_the_patient_gave(vignette_id):
    answers = VIGNETTES[vignette_id]["answers"]
    summary = summary_of(vignette_id)
    assert summary.lines
    for line in summary.lines:
        assert line.text and line.sources
        assert all(answers.get(q) not in (None, "", []) for q in line.sources), line


@pytest.mark.parametrize("vignette_id", [v for v in IDS if WORDS_OF[v]])
def test_the_patients_own_words_appear_verbatim_and_labelled_as_theirs(vignette_id):
    reason = texts(summary_of(vignette_id), "Reason")
    for words in WORDS_OF[vignette_id].values():
        (line,) = [text for text in reason if f'"{words}"' in text]
        assert "in the patient's words" in line.lower()


DENIES = ("denies ", "none of ")
NEGATIVE = (*DENIES, "no ", "not ")


@cache
def phrase_index() -> tuple[dict[str, list], set[str]]:
    """phrase -> [(linkId, code or True)] of every phrase in the wording, and those that name
    something the patient has (a checklist item or a "yes"), as against a site or a time."""
    owners: dict[str, list] = {}
    symptoms = set()
    for link_id, read in library().wording.items():
        for code, phrase in read.phrases.items():
            if code is False:
                continue
            owners.setdefault(phrase, []).append((link_id, code))
            if read.kind in ("checklist", "boolean"):
                symptoms.add(phrase)
    return owners, symptoms


def _ticked(value: Any, code: Any) -> bool:
    if code is True:
        return value is True
    return code in value if isinstance(value, list) else value == code


def _denied(value: Any, code: Any) -> bool:
    return value is False if code is True else value == ["none"]


def unbacked(line: SummaryLine, answers: dict) -> list[str]:
    """Symptoms a line mentions that its answers do not back: not ticked, or, in a denial,
    not an item of a checklist answered "none" (or a question answered "no")."""
    if set(line.sources) & FREE_TEXT or any(q.startswith(("phq", "gad")) for q in line.sources):
        return []  # the patient's own words, and the scores, are checked on their own
    owners, symptoms = phrase_index()
    labels = [template.label for template in library().lines if template.label]
    body = next(
        (line.text[len(lb) + 2 :] for lb in labels if line.text.startswith(lb + ": ")), line.text
    )
    found = []
    for clause in body.split("; "):
        clause = clause[:1].lower() + clause[1:]
        strict = clause.startswith(DENIES)
        spans = []
        for phrase, held_by in owners.items():
            mine = [(q, code) for q, code in held_by if q in line.sources]
            ticked = any(_ticked(answers[q], code) for q, code in mine)
            denied = any(_denied(answers[q], code) for q, code in mine)
            backed = denied if strict else ticked or (clause.startswith(NEGATIVE) and denied)
            for match in re.finditer(rf"(?<!\w){re.escape(phrase)}(?!\w)", clause):
                spans.append((match.start(), match.end(), phrase, backed))
        for start, end, phrase, backed in spans:
            within = any(
                b and s <= start and end <= e and (s, e) != (start, end) for s, e, _, b in spans
            )
            if phrase in symptoms and not backed and not within:
                found.append(f"{line.text!r} mentions {phrase!r}")
    return found


@pytest.mark.parametrize("vignette_id", IDS)
def test_no_line_mentions_a_symptom_the_patient_did_not_report_or_deny(vignette_id):
    answers = VIGNETTES[vignette_id]["answers"]
    assert [p for line in summary_of(vignette_id).lines for p in unbacked(line, answers)] == []


@pytest.mark.parametrize(
    ("vignette_id", "text", "sources"),
    [
        # V14 ticked "none of these" on the urgent page.
        ("V14", "Urgent symptoms (now or last few days): reports seizure", ("urgent-now",)),
        # V14 was asked about back pain and ticked none: a positive can't come from that.
        ("V14", "Low back pain: reports leg weakness", ("back-with",)),
        # A denial must come from the checklist that was answered "none".
        ("V14", "Muscle spasms: denies numbness/tingling", ("since",)),
        # V07 ticked numbness: it can't be denied.
        ("V07", "Muscle spasms: denies numbness/tingling", ("spasm-with",)),
        # V14 said no fever: it can't be reported as present.
        ("V14", "Fever ≥38 °C in last 3 days", ("fever",)),
    ],
)
def test_the_check_catches_a_line_the_answers_do_not_back(vignette_id, text, sources):
    assert unbacked(SummaryLine(text, sources), VIGNETTES[vignette_id]["answers"]) != []


@pytest.mark.parametrize("vignette_id", IDS)
def test_the_text_for_the_note_is_plain_text(vignette_id):
    summary = summary_of(vignette_id)
    text = summary.as_text()
    assert not re.search(r"<[a-zA-Z/!]|&[a-z]+;|\*\*|__|`|^#|\]\(", text, re.MULTILINE)
    blocks = text.rstrip("\n").split("\n\n")
    assert blocks[0] == f"Pre-visit summary (patient-reported), age {VIGNETTES[vignette_id]['age']}"
    for block, section in zip(blocks[1:], summary.sections, strict=True):
        heading, *lines = block.split("\n")
        assert heading == section.heading
        assert lines == [f"- {line.text}" for line in section.lines]


# --- what a clinician reads ---------------------------------------------------------------


def test_a_chest_pain_emergency():
    summary = summary_of("V01")
    assert texts(summary, "Reason") == ["Reason for visit: chest pain"]
    assert texts(summary, "Presenting complaint") == [
        "Onset today; constant; severity 8/10; no fever ≥38 °C in last 3 days"
    ]
    assert texts(summary, "Red-flag checklist") == [
        "Urgent symptoms (now or last few days): reports chest pain/pressure/tightness",
        "Chest pain: reports tightness/pressure/squeezing/heaviness, radiation to "
        "arm/jaw/neck/back, sweating; lasting >15 min; at any time",
    ]
    chest = summary.section("Red-flag checklist").lines[1]
    assert chest.sources == ("chest-pain-with", "chest-pain-minutes", "chest-pain-when")
    lifestyle = texts(summary, "Risk factors and lifestyle")
    assert lifestyle[:2] == ["Conditions (patient-reported): hypertension", "Smoking: ex-smoker"]
    assert texts(summary, "Medicines and allergies") == [
        "Medicine classes: none of blood thinner, diuretic, insulin, other diabetes medicine, "
        "oral steroids or immunosuppressant, hormonal contraception or HRT, statin"
    ]


def test_phq9_positive_with_item_9_above_zero_is_called_out_first():
    summary = summary_of("V06")
    screening = summary.section("Screening").lines
    assert [line.text for line in screening] == [
        "PHQ-9 item 9 (thoughts of being better off dead or of self-harm): 3/3, nearly every "
        "day; has thought about how they would do it; denies intent to act",
        "PHQ-2 6/6: positive screen (≥3)",
        "PHQ-9 22/27: severe",
        "GAD-2 4/6: positive screen (≥3)",
        "GAD-7 11/21: moderate",
    ]
    assert screening[0].sources == ("phq9-9", "self-harm-plan", "self-harm-intent")
    assert screening[2].sources == (*(f"phq9-{n}" for n in range(1, 10)), "phq9-total")


def test_item_9_several_days_with_a_moderate_phq9():
    screening = texts(summary_of("V11"), "Screening")
    assert screening[0] == (
        "PHQ-9 item 9 (thoughts of being better off dead or of self-harm): 1/3, several days; "
        "has not thought about how they would do it; denies intent to act"
    )
    assert "PHQ-9 11/27: moderate" in screening


def test_item_9_at_zero_is_a_denial_and_a_phq2_of_2_is_a_negative_screen():
    screening = texts(summary_of("V18"), "Screening")
    assert screening == [
        "PHQ-9 item 9: denies thoughts of being better off dead or of self-harm (0/3)",
        "PHQ-2 1/6: negative screen (<3)",
        "PHQ-9 5/27: mild",
        "GAD-2 3/6: positive screen (≥3)",
        "GAD-7 7/21: mild",
    ]


def test_a_routine_muscle_spasm_visit():
    summary = summary_of("V13")
    assert texts(summary, "Reason") == ["Reason for visit: muscle spasms/cramps"]
    assert texts(summary, "Presenting complaint") == [
        "Onset 1-3 months ago; daily; worse at rest; occurs at rest; not at night; "
        "severity 4/10; no fever ≥38 °C in last 3 days",
        "Muscle spasms: site legs, back; not after exercise or a new activity",
    ]
    red_flags = texts(summary, "Red-flag checklist")
    assert red_flags[0].startswith(
        "Urgent symptoms (now or last few days): denies chest pain/pressure/tightness, "
    )
    assert red_flags[0].endswith(", head injury in last few days")
    assert red_flags[1:] == [
        "Muscle spasms: denies new weakness (e.g. foot drag), numbness/tingling, "
        "one calf swollen/warm/red, dark urine after hard exercise"
    ]
    assert texts(summary, "Risk factors and lifestyle")[3:5] == [
        "Activity: rarely active; sits >8 h/day",
        "Fluids: ≥8 glasses/day",
    ]


def test_fever_with_its_temperature_and_its_checklist():
    summary = summary_of("V05")
    assert texts(summary, "Presenting complaint")[0] == (
        "Onset 1-3 days ago; constant; severity 8/10; fever ≥38 °C in last 3 days; max 39.8 °C"
    )
    assert "With the fever: reports neck stiffness, photophobia" in texts(
        summary, "Red-flag checklist"
    )


def test_a_home_blood_pressure_and_a_pregnancy():
    summary = summary_of("V27")
    assert "Blood pressure: home BP 165/112 mmHg" in texts(summary, "Presenting complaint")
    assert (
        "Pregnancy: reports severe headache/blurred vision/flashing lights, BP reading ≥160/110"
        in texts(summary, "Red-flag checklist")
    )
    assert texts(summary, "Risk factors and lifestyle")[:2] == [
        "Conditions (patient-reported): pregnancy (actual or possible)",
        "Pregnancy: 32 weeks",
    ]
    only_top = {**VIGNETTES["V27"]["answers"], "bp-diastolic": None}
    assert "Blood pressure: home systolic BP 165 mmHg" in texts(
        summarize(only_top), "Presenting complaint"
    )


def test_medicines_and_allergies_are_the_patients_words_verbatim():
    answers = {
        **VIGNETTES["V40"]["answers"],
        "medicines": "Metformin 500 mg twice a day\nAtorvastatin at night",
        "allergies": "  Penicillin - rash  ",
    }
    summary = summarize(answers)
    assert texts(summary, "Medicines and allergies") == [
        "Medicine classes: takes other diabetes medicine, statin",
        'Medicines, in the patient\'s words: "Metformin 500 mg twice a day\nAtorvastatin at night"',
        'Allergies, in the patient\'s words: "Penicillin - rash"',
    ]
    assert (
        "- Medicines, in the patient's words: \"Metformin 500 mg twice a day\n"
        '  Atorvastatin at night"\n' in summary.as_text()
    )


def test_an_answer_left_out_leaves_its_line_out():
    answers = dict(VIGNETTES["V13"]["answers"])
    for q in ("fever", "at-rest", "smoking", "medicine-classes", "phq9-1", "phq2-total"):
        del answers[q]
    summary = summarize(answers)
    assert texts(summary, "Presenting complaint")[0] == (
        "Onset 1-3 months ago; daily; worse at rest; not at night; severity 4/10"
    )
    lifestyle = texts(summary, "Risk factors and lifestyle")
    assert not any(text.startswith("Smoking") for text in lifestyle)
    assert summary.section("Medicines and allergies") is None
    assert texts(summary, "Screening") == ["GAD-2 0/6: negative screen (<3)"]
    assert summarize({}).sections == ()
    assert summarize({}).as_text() == "Pre-visit summary (patient-reported)\n"


def test_a_total_alone_is_used_when_its_items_are_not_given():
    summary = summarize({"phq2-total": 4, "gad7-total": 16})
    assert texts(summary, "Screening") == [
        "PHQ-2 4/6: positive screen (≥3)",
        "GAD-7 16/21: severe",
    ]
    assert summary.section("Screening").lines[0].sources == ("phq2-total",)


def test_a_code_the_wording_does_not_know_is_shown_not_dropped():
    summary = summarize({"spasm-with": ["numbness", "cold-feet"]})
    assert texts(summary, "Red-flag checklist") == [
        "Muscle spasms: reports numbness/tingling, unlisted answer 'cold-feet'"
    ]


def test_summarize_is_part_of_advice_and_takes_no_handout_library():
    assert advice.summarize is summarize
    with pytest.raises(TypeError, match="SummaryLibrary"):
        summarize({}, library=Library.from_directory())


# --- the wording file ----------------------------------------------------------------------


def raw_wording() -> dict:
    return yaml.safe_load(SUMMARY_FILE.read_text("utf-8"))


def line(document: dict, line_id: str) -> dict:
    return next(entry for entry in document["lines"] if entry["id"] == line_id)


def edit(line_id: str, *path: str | int, **change: Any):
    """A change to one line of the wording: `path` leads from the line to the mapping."""

    def apply(document: dict) -> None:
        node = line(document, line_id)
        for step in path:
            node = node[step]
        node.update(change)

    return apply


def bands_from_1(document: dict) -> None:
    document["scores"]["instruments"][1]["bands"].pop(0)


PART = "parts", 0
BAD = [
    (edit("course", *PART, colour="red"), "course.parts[0]", "unknown key 'colour'"),
    (edit("course", section="history"), "course.section", "no section 'history'"),
    (
        edit("smoking", *PART, "codes", now="smokes, daily"),
        "smoking.parts[0] (q: smoking).codes.now",
        "no , or ;",
    ),
    (
        edit("spasm-details", *PART, template="site {where}"),
        "spasm-details.parts[0] (q: spasm-where).template",
        "unknown placeholder {where}",
    ),
    (
        edit("urgent-now", *PART, "checklist", none="nothing"),
        "urgent-now.parts[0] (q: urgent-now)",
        "'none' has no phrase",
    ),
    (
        edit("fluids", *PART, "codes", low="<b>low</b>"),
        "fluids.parts[0] (q: fluids).codes.low",
        "plain text only",
    ),
    (
        edit("alcohol", *PART, q="smoking"),
        "alcohol.parts[0] (q: smoking)",
        "smoking is already read elsewhere",
    ),
    (
        edit("medicine-classes", *PART, "checklist", statin="statin 20 mg"),
        "medicine-classes.parts[0] (q: medicine-classes).checklist.statin",
        "a dose",
    ),
    (bands_from_1, "scores.instruments[1].bands", "first band starts at 0"),
    (lambda document: document.update(topic="sleep"), "topic", "topic must be 'summary'"),
]


@pytest.mark.parametrize(("change", "key", "message"), BAD)
def test_a_bad_wording_file_is_refused_naming_the_key(tmp_path, change, key, message):
    document = raw_wording()
    change(document)
    path = tmp_path / "summary.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), "utf-8")
    with pytest.raises(ContentError, match=re.escape(message)) as error:
        SummaryLibrary.from_file(path)
    assert error.value.block == key
    assert error.value.source.endswith("summary.yaml")


def test_the_wording_is_parsed_once_until_the_file_changes(tmp_path):
    path = tmp_path / "summary.yaml"
    document = raw_wording()
    path.write_text(yaml.safe_dump(document, allow_unicode=True), "utf-8")
    first = SummaryLibrary.from_file(path)
    assert SummaryLibrary.from_file(path) is first
    document["version"] += 1
    document["title"] = "Pre-visit summary (changed)"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), "utf-8")
    changed = SummaryLibrary.from_file(path)
    assert changed is not first and changed.version == first.version + 1
    assert summarize({}, library=changed).as_text().startswith("Pre-visit summary (changed)")
    assert SummaryLibrary.from_document(copy.deepcopy(raw_wording())).version == first.version


def test_the_handout_library_leaves_the_summary_wording_out():
    documents = [
        yaml.safe_load(p.read_text("utf-8")) for p in sorted(SUMMARY_FILE.parent.glob("*.yaml"))
    ]
    assert "summary" not in Library.from_directory()
    assert "summary" not in Library.from_documents(documents)
