"""The patient's own words are read for red flags (advice/screening.py, `free_text` in
_global.yaml): negation, other people, hypotheses, misspellings, hostile input; words only
ever raise the level."""

from __future__ import annotations

import pytest
import yaml

from advice import Library, TriageLevel, triage
from advice.content_schema import CONTENT_DIR, ContentError
from advice.screening import MAX_CHARACTERS, screen
from tests.advice.support import CONTEXT, vocabulary


@pytest.fixture(scope="module")
def library():
    return Library.from_directory()


def level_of(library, text, link_id="reason-words", **answers):
    result = triage({link_id: text, **answers}, library=library, context=CONTEXT)
    return result.level, [reason.rule_id for reason in result.reasons]


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("my wife says I had a seizure in my sleep, never happened before", "words-seizure"),
        ("took too many of my sleeping tablets on purpose", "words-overdose"),
        ("belly pain and bleeding, 7 weeks pregnant", "words-pregnancy-bleeding"),
        ("I want to kill myself", "words-self-harm"),
        ("my face is drooping and my speech is slurred", "words-stroke"),
        ("I can't breathe properly since this morning", "words-breathing"),
        ("worst headache of my life, came on in seconds", "words-worst-headache"),
        ("on chemo and I have a temperature", "words-immune-fever"),
        ("fell and hit my head yesterday, I take warfarin", "words-head-injury-thinner"),
        ("sudden severe pain in my left testicle", "words-testicle"),
        ("my lips are swelling and my throat is closing", "words-allergy"),
        ("I feel like I'm dying, I have been shivering uncontrollably", "words-sepsis"),
        ("I cannot pass urine since last night", "words-cannot-pee"),
        ("I have lost my sight in one eye", "words-vision-loss"),
    ],
)
def test_an_emergency_in_their_own_words_is_an_emergency(library, text, rule):
    level, rules = level_of(library, text)
    assert level is TriageLevel.EMERGENCY
    assert rule in rules


@pytest.mark.parametrize(
    "text",
    [
        "I had a siezure last night",  # transposed letters
        "I think I had a seezure",
        "terrible chest presure all morning",
        "she says I had convulsions",
    ],
)
def test_misspellings_are_still_read(library, text):
    assert level_of(library, text)[0] is TriageLevel.EMERGENCY


@pytest.mark.parametrize(
    "text",
    [
        "no chest pain, no breathing problems, I just need my inhaler renewed",
        "I have not had a seizure",
        "denies chest pain",
        "never had a stroke",
        "no fits, no seizures, no stroke",
        "I don't have chest pain",
    ],
)
def test_a_denied_symptom_does_not_count(library, text):
    assert level_of(library, text) == (TriageLevel.ROUTINE, [])


@pytest.mark.parametrize(
    "text",
    [
        "my dad had a stroke",
        "my mother has seizures",
        "strokes run in my family",
        "my brother took an overdose last year",
    ],
)
def test_someone_elses_illness_does_not_count(library, text):
    assert level_of(library, text) == (TriageLevel.ROUTINE, [])


@pytest.mark.parametrize(
    "text",
    [
        "what should I do if I get chest pain again",
        "I had a stroke years ago and I am here for a check-up",
        "history of seizures, none for ten years",
    ],
)
def test_a_hypothetical_or_long_past_one_does_not_count(library, text):
    assert level_of(library, text)[0] is TriageLevel.ROUTINE


def test_a_doubtful_mention_still_counts(library):
    """Doubt is not denial: "not sure if it was a seizure" is read as a seizure."""
    assert level_of(library, "I'm not sure if it was a seizure")[0] is TriageLevel.EMERGENCY
    assert level_of(library, "maybe I fainted")[0] is TriageLevel.URGENT


def test_a_new_clause_ends_a_denial(library):
    level, rules = level_of(library, "no fever but I have chest pain")
    assert level is TriageLevel.URGENT and rules == ["words-chest-pain-any"]


@pytest.mark.parametrize(
    "text",
    [
        "I overdone it at the gym",  # not "overdose": exact words only
        "the shoes fit badly",
        "I was sleeping badly",  # not "bleeding"
        "the bus strike made me late",  # not "stroke"
        "Sore knee after football",
    ],
)
def test_ordinary_words_are_not_red_flags(library, text):
    assert level_of(library, text) == (TriageLevel.ROUTINE, [])


def test_the_reason_names_the_words_that_matched(library):
    result = triage(
        {"reason-words": "Since Monday I get chest pain when I climb stairs"},
        library=library,
        context=CONTEXT,
    )
    reason = result.reasons[0]
    assert reason.rule_id == "words-chest-pain-any"
    assert '"chest pain"' in reason.text
    assert reason.evidence == {"reason-words": "chest pain"}


def test_a_combination_rule_needs_both_parts_in_the_answer(library):
    assert level_of(library, "I am 7 weeks pregnant")[0] is TriageLevel.ROUTINE
    assert level_of(library, "pregnant, and no bleeding")[0] is TriageLevel.ROUTINE
    level, rules = level_of(library, "7 weeks pregnant with some spotting")
    assert level is TriageLevel.EMERGENCY and rules == ["words-pregnancy-bleeding"]
    assert (
        '"pregnant ... spotting"'
        in triage({"reason-words": "7 weeks pregnant with some spotting"}, library=library)
        .reasons[0]
        .text
    )


def test_something_else_is_read_too_but_medicines_and_allergies_are_not(library):
    assert level_of(library, "chest pain", link_id="reason-other")[0] is TriageLevel.URGENT
    # "Overdose" in a medicine list is a warning label, not an event.
    assert level_of(library, "aspirin; stroke prevention", link_id="medicines")[0] is (
        TriageLevel.ROUTINE
    )
    assert level_of(library, "penicillin: throat swelling", link_id="allergies")[0] is (
        TriageLevel.ROUTINE
    )


def test_words_never_lower_a_level(library):
    answers = {"urgent-now": ["chest-pain"], "chest-pain-with": ["heavy"]}
    ticked = triage(answers, library=library).level
    assert ticked is TriageLevel.EMERGENCY
    calm = triage({**answers, "reason-words": "no chest pain really, I am fine"}, library=library)
    assert calm.level is TriageLevel.EMERGENCY


def test_one_rule_fires_once_however_often_it_is_written(library):
    text = "chest pain. chest pain again. more chest pain"
    result = triage({"reason-words": text, "reason-other": "chest pain"}, library=library)
    assert [r.rule_id for r in result.reasons] == ["words-chest-pain-any"]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "\x00\x01\x02 chest pain \u202e",
        "<script>alert('chest pain')</script>",
        '{"LOWER": {"REGEX": ".*"}} [[[ ((( \\d+',
        "💥🔥 stroke 🔥💥",
        "ｃｈｅｓｔ ｐａｉｎ",
        "a" * 100_000,
        "chest pain " * 2_000,
        "Rm -rf /; DROP TABLE cases; -- seizure",
    ],
)
def test_hostile_input_is_read_safely(library, text):
    level, _ = level_of(library, text)
    assert level in TriageLevel


def test_only_the_first_characters_of_a_long_answer_are_read(library):
    far = "a " * MAX_CHARACTERS + "I had a seizure"
    assert level_of(library, far)[0] is TriageLevel.ROUTINE
    assert screen({"x": 42, "y": None}, ["x", "y", "z"], library.global_topic.free_text.rules) == []


def test_every_free_text_answer_named_is_a_text_question():

    items = vocabulary()
    library = Library.from_directory()
    assert library.global_topic.free_text.answers == ("reason-other", "reason-words")
    for link_id in library.global_topic.free_text.answers:
        assert items[link_id].kind in ("string", "text")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"level": "routine"}, "level must be emergency, urgent or soon"),
        ({"phrases": "chest pain"}, "phrases must be a list"),
        ({"phrases": ["chest (pain"]}, "is not plain words"),
        ({"phrases": [], "exact": []}, "needs phrases or exact"),
        ({"colour": "red"}, "unknown key 'colour'"),
    ],
)
def test_a_bad_free_text_rule_is_refused_naming_it(change, message):
    documents = [
        yaml.safe_load(path.read_text(encoding="utf-8"))
        for path in sorted(CONTENT_DIR.glob("*.yaml"))
    ]
    glob = next(d for d in documents if d["topic"] == "global")
    glob["free_text"]["rules"][0].update(change)
    with pytest.raises(ContentError, match=message) as error:
        Library.from_documents(documents)
    assert error.value.block == glob["free_text"]["rules"][0]["id"]
