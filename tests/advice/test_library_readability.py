"""Every handout the real content can produce reads at grade 6 or below, in 150-800 words.

Renders each topic of advice/content/ under a matrix of answers: the topic
alone; with each `when` of its blocks made true and made false; with fluids
low or plenty, sitting over 8 hours, high stress; everything tailored at once;
and combined with two or three other topics. On failure the worst offender is
printed in full.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from advice import Library, evaluate
from advice.conditions import example_answers
from advice.content_schema import Topic
from advice.handout import MAX_WORDS, MIN_WORDS
from tests.advice.support import CONTEXT, vocabulary_codes

MAX_GRADE = 6.0
DEFAULT_AGE = 45

# A patient with nothing alarming to report; each case adds to it.
BASE: dict[str, Any] = {
    "urgent-now": ["none"],
    "since": "1-4-weeks",
    "how-often": "comes-and-goes",
    "severity": 4,
    "fever": False,
    "phq9-1": 0,
    "phq9-2": 0,
    "gad7-1": 0,
    "gad7-2": 0,
    "phq2-total": 0,
    "gad2-total": 0,
}
LIFESTYLE = {
    "fluids-low": {"fluids": "low"},
    "fluids-plenty": {"fluids": "plenty"},
    "sitting-over-8": {"sitting": "over-8"},
    "stress-high": {"stress": "high"},
}


def merge(*parts: dict[str, Any] | None) -> dict[str, Any] | None:
    """Answers from all parts; multi-selects are joined; None if two parts disagree."""
    merged: dict[str, Any] = {}
    for part in parts:
        if part is None:
            return None
        for key, value in part.items():
            if key not in merged:
                merged[key] = list(value) if isinstance(value, list) else value
            elif isinstance(merged[key], list) and isinstance(value, list):
                merged[key] += [v for v in value if v not in merged[key]]
            elif merged[key] != value:
                return None
    return merged


def example(condition, *, holds=True) -> tuple[dict[str, Any], int | None] | None:
    return example_answers(condition, holds=holds, vocabulary=vocabulary_codes())


def tailored_blocks(topic: Topic):
    for section in ("intro", "said", "causes", "self_care", "medicines", "visit", "get_care_now"):
        for block in getattr(topic, section):
            if block.when is not None:
                yield section, block


def topic_answers(topic: Topic) -> tuple[dict[str, Any], int | None]:
    found = example(topic.applies_when)
    assert found is not None, f"{topic.topic}: no answers make applies_when hold"
    answers, age = found
    return merge({"reason": [topic.topic]}, answers), age


def everything_tailored(topic: Topic) -> tuple[dict[str, Any], int | None]:
    """As many of the topic's `when`s true at once as agree with each other."""
    answers, age = topic_answers(topic)
    for _, block in tailored_blocks(topic):
        found = example(block.when)
        if found is None:
            continue
        candidate = merge(answers, found[0])
        if candidate is not None and (age is None or found[1] is None or age == found[1]):
            answers, age = candidate, age if age is not None else found[1]
    return answers, age


@cache
def cases() -> tuple[tuple[str, dict[str, Any], int | None], ...]:
    library = Library.from_directory()
    topics = list(library.topics)
    found: list[tuple[str, dict[str, Any], int | None]] = []

    def add(label: str, answers: dict[str, Any] | None, age: int | None, *codes: str) -> None:
        if answers is None:
            return
        # The case's own answers win over the calm defaults (a `when` may need fever).
        answers = {**BASE, **answers}
        age = age if age is not None else DEFAULT_AGE
        if all(library.topic(code).applies(answers, age) for code in codes):
            found.append((label, answers, age))

    for topic in topics:
        code = topic.topic
        answers, age = topic_answers(topic)
        add(f"{code}: alone", answers, age, code)
        for name, extra in LIFESTYLE.items():
            add(f"{code}: {name}", merge(answers, extra), age, code)
        for section, block in tailored_blocks(topic):
            for holds in (True, False):
                made = example(block.when, holds=holds)
                if made is None:
                    continue
                label = f"{code}: {section} {block.id} {'true' if holds else 'false'}"
                add(label, merge(answers, made[0]), made[1] if made[1] is not None else age, code)
        full, full_age = everything_tailored(topic)
        add(f"{code}: everything tailored", full, full_age, code)

    # Each topic with the next two or three, in pairs, and with the next two as a trio.
    for index, topic in enumerate(topics):
        others = [topics[(index + step) % len(topics)] for step in (1, 2, 3)]
        for group in [(topic, other) for other in others] + [(topic, *others[:2])]:
            codes = [t.topic for t in group]
            answers = merge(*(topic_answers(t)[0] for t in group), {"reason": codes})
            add(" + ".join(codes), answers, None, *codes)
            heavy = merge(answers, {"fluids": "plenty", "sitting": "over-8", "stress": "high"})
            add(f"{' + '.join(codes)}: lifestyle", heavy, None, *codes)
    return tuple(found)


@cache
def rendered():
    library = Library.from_directory()
    results = []
    for label, answers, age in cases():
        handout = evaluate(answers, age=age, library=library, context=CONTEXT).handout
        results.append((label, handout))
    return results


def describe(label, handout) -> str:
    return (
        f"{label}: grade {handout.reading_grade}, {handout.word_count} words, "
        f"topics {list(handout.topics)}, trimmed {list(handout.trimmed)}"
    )


def test_the_matrix_covers_every_topic_and_every_tailored_block():
    library = Library.from_directory()
    labels = [label for label, _, _ in cases()]
    for topic in library.topics:
        assert f"{topic.topic}: alone" in labels
        for section, block in tailored_blocks(topic):
            assert any(f"{section} {block.id} true" in label for label in labels), (
                f"{topic.topic}: no answers found that show {section} {block.id}"
            )
    assert len(labels) > 10 * len(library.topics)


def test_every_handout_reads_at_grade_six_or_below():
    results = rendered()
    failing = [(label, h) for label, h in results if h.reading_grade > MAX_GRADE]
    if failing:
        label, worst = max(failing, key=lambda item: item[1].reading_grade)
        print(f"\n{len(failing)} of {len(results)} handouts above grade {MAX_GRADE}:")
        for item in sorted(failing, key=lambda item: -item[1].reading_grade)[:20]:
            print("  " + describe(*item))
        print(f"\nworst offender, {describe(label, worst)}\n\n{worst.plain_text}")
    assert not failing, f"{len(failing)} handouts above grade {MAX_GRADE}; worst: " + describe(
        *max(failing, key=lambda item: item[1].reading_grade)
    )


def test_every_handout_is_150_to_800_words():
    results = rendered()
    failing = [(label, h) for label, h in results if not MIN_WORDS <= h.word_count <= MAX_WORDS]
    if failing:

        def distance(item):
            words = item[1].word_count
            return max(MIN_WORDS - words, words - MAX_WORDS)

        label, worst = max(failing, key=distance)
        print(f"\n{len(failing)} of {len(results)} handouts outside {MIN_WORDS}-{MAX_WORDS} words:")
        for item in sorted(failing, key=distance, reverse=True)[:20]:
            print("  " + describe(*item))
        print(f"\nworst offender, {describe(label, worst)}\n\n{worst.plain_text}")
    assert not failing, f"{len(failing)} handouts outside {MIN_WORDS}-{MAX_WORDS} words"


def test_no_handout_shows_a_web_address_in_its_text():
    for label, handout in rendered():
        assert "http" not in handout.plain_text and "www." not in handout.plain_text, label


# --- random patients with three topics -----------------------------------------------------


def random_patients(count: int = 300, seed: int = 12):
    """Patients with three random topics, each tailored block true with chance 0.3."""
    import random

    rng = random.Random(seed)
    library = Library.from_directory()
    topics = list(library.topics)
    made = []
    while len(made) < count:
        chosen = rng.sample(topics, 3)
        parts = []
        for topic in chosen:
            answers, _ = topic_answers(topic)
            for _, block in tailored_blocks(topic):
                if rng.random() < 0.3 and (found := example(block.when)) is not None:
                    answers = merge(answers, found[0]) or answers
            parts.append(answers)
        answers = merge(*parts, {"reason": [t.topic for t in chosen]})
        if answers is None:
            continue
        life = {
            "fluids": rng.choice(["low", "some", "plenty"]),
            "stress": rng.choice(["low", "some", "high"]),
            "sitting": rng.choice(["under-4", "4-8", "over-8"]),
        }
        made.append(({**BASE, **life, **answers}, rng.randint(18, 90)))
    return library, made


def test_random_patients_with_three_topics_get_at_most_800_words_at_grade_six():
    library, patients = random_patients()
    for answers, age in patients:
        handout = evaluate(answers, age=age, library=library, context=CONTEXT).handout
        assert handout.word_count <= MAX_WORDS, describe(list(answers["reason"]), handout)
        assert handout.reading_grade <= MAX_GRADE, describe(list(answers["reason"]), handout)


def test_shortening_keeps_what_the_patient_reported_longest():
    """A topic loses a `said` block only once its causes and visit prompts are gone (the
    ask-first medicines advice stays: it is safety advice)."""
    library, patients = random_patients(150, seed=5)
    checked = 0
    for answers, age in patients:
        handout = evaluate(answers, age=age, library=library, context=CONTEXT).handout
        for code in handout.topics:
            topic = library.topic(code)
            expected = {b.id for b in topic.said if b.shown(answers, age)}
            shown = {b.block_id for b in handout.blocks if b.topic == code and b.section == "said"}
            if expected - shown:
                checked += 1
                sections = {b.section for b in handout.blocks if b.topic == code}
                assert not sections & {"causes", "visit"}, (code, describe(code, handout))
    assert checked, "no patient needed its reported blocks shortened: the test shows nothing"
