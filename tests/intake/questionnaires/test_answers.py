"""Posted answers checked against their items, with messages for the patient."""

import pytest

from intake.questionnaires.definition import Definition
from tests.intake.questionnaires.support import (
    TODAY,
    choice,
    make,
    question,
)

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
            {"fever": ["true"], "temperature": ["120"]},
            "temperature",
            "Temperature must be a number from 34 to 43 °C (or 93.2 to 109.4 °F).",
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


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("101.5", 38.6),
        ("100.4", 38.0),
        ("93.2", 34.0),
        ("109.4", 43.0),
        ("38.6", 38.6),
        ("40", 40.0),
    ],
)
def test_a_temperature_is_taken_in_fahrenheit_or_celsius_and_stored_in_celsius(
    definition, typed, stored
):
    cleaned, errors = definition.clean_page(
        "page-symptoms",
        {"since": ["today"], "severity": ["3"], "fever": ["true"], "temperature": [typed]},
        {},
    )
    assert errors.get("temperature") is None
    assert cleaned["temperature"] == stored


@pytest.mark.parametrize("typed", ["33.9", "43.1", "93.1", "109.5", "212"])
def test_a_temperature_in_neither_range_is_refused_naming_both(definition, typed):
    _, errors = definition.clean_page(
        "page-symptoms",
        {"since": ["today"], "severity": ["3"], "fever": ["true"], "temperature": [typed]},
        {},
    )
    assert errors["temperature"] == (
        "Temperature must be a number from 34 to 43 °C (or 93.2 to 109.4 °F)."
    )
