import json
import re

import markdown
import textstat

from advice import (
    Evaluation,
    Handout,
    HandoutContext,
    Library,
    build_handout,
    choose_topics,
    evaluate,
    reading_grade,
    triage,
    word_count,
)
from advice.handout import (
    _RUNGS,
    MAX_WORDS,
    _compose,
    _count_words,
    _do_this_first,
    _ending,
    _plan_topics,
    _render_plain,
)
from tests.advice.support import CONTEXT, fixture_documents, fixture_library

SPASMS = {
    "reason": ["muscle-spasms"],
    "urgent-now": ["none"],
    "since": "1-4-weeks",
    "severity": 4,
    "fever": False,
}
URL = re.compile(r"https?://|www\.")


def handout(answers, *, age=None, library=None, context=CONTEXT):
    return evaluate(answers, age=age, library=library or fixture_library(), context=context).handout


def sections(result):
    return [block.section for block in result.blocks]


def texts(result, section):
    return [block.text for block in result.blocks if block.section == section]


# --- which topics ----------------------------------------------------------------------


def test_topics_follow_the_order_the_patient_gave_their_reasons():
    result = handout({**SPASMS, "reason": ["low-back-pain", "muscle-spasms"]})
    assert result.topics == ("low-back-pain", "muscle-spasms")
    assert result.title == "Low back pain · Muscle spasms and cramps"


def test_a_topic_can_apply_without_being_a_reason_and_comes_last():
    result = handout({**SPASMS, "sleep-quality": "poor"})
    assert result.topics == ("muscle-spasms", "sleep")


def test_at_most_three_topics():
    documents = fixture_documents()
    extra = json.loads(json.dumps(documents["sleep.yaml"]))
    extra.update(
        topic="tiredness", title="Feeling tired", applies_when={"q": "reason", "has": "tiredness"}
    )
    library = Library.from_documents([*documents.values(), extra])
    answers = {**SPASMS, "reason": ["tiredness", "sleep", "muscle-spasms", "low-back-pain"]}
    assert handout(answers, library=library).topics == ("tiredness", "sleep", "muscle-spasms")


# --- what each topic says -------------------------------------------------------------------


def test_tailored_sentences_follow_the_answers():
    plenty = handout({**SPASMS, "fluids": "plenty", "at-rest": True})
    assert texts(plenty, "said") == [
        "You said you drink plenty of water. That is good. "
        "Water alone may not stop cramps, though.",
        "You said the cramps come even when you rest. Tell us about this at your visit.",
    ]
    assert texts(handout(SPASMS), "said") == []


def test_causes_are_ranked_by_rank_plus_boost_and_only_four_are_shown():
    result = handout({**SPASMS, "fluids": "plenty", "sitting": "over-8", "stress": "high"})
    ids = [b.block_id for b in result.blocks if b.section == "causes"]
    # minerals 5+10, sitting 3+6, hard-work 4, stress 1+3; "other" (2) is fifth.
    assert ids == ["minerals", "sitting", "hard-work", "stress"]


def test_a_cause_whose_when_is_false_is_left_out():
    result = handout({**SPASMS, "fluids": "some"})
    ids = [b.block_id for b in result.blocks if b.section == "causes"]
    assert ids == ["hard-work", "other"]


def test_self_care_is_a_numbered_list_of_the_steps_that_fit():
    result = handout({**SPASMS, "fluids": "low", "sitting": "over-8"})
    steps = [b.block_id for b in result.blocks if b.section == "self-care"]
    assert steps == ["stretch", "foods", "breaks", "warm", "drink"]
    assert "1. Stretch the tight muscle slowly." in result.markdown
    assert "<ol>" in result.html
    assert "5. Drink a glass of water with each meal." in result.plain_text


def test_shared_self_care_is_said_once_across_topics():
    result = handout({**SPASMS, "reason": ["muscle-spasms", "low-back-pain", "sleep"]})
    steps = [(b.topic, b.block_id) for b in result.blocks if b.section == "self-care"]
    assert ("muscle-spasms", "stretch") in steps
    assert ("low-back-pain", "stretch") not in steps
    assert ("sleep", "stretch") not in steps
    assert ("low-back-pain", "keep-moving") in steps


def test_sections_come_in_the_documented_order():
    result = handout({**SPASMS, "fluids": "plenty"})
    order = list(dict.fromkeys(sections(result)))
    assert order == [
        "intro",
        "said",
        "causes",
        "self-care",
        "medicines",
        "visit",
        "closing",
        "get-care-now",
        "references",
    ]
    headings = re.findall(r"^#+ (.*)$", result.markdown, re.MULTILINE)
    assert headings == [
        "Muscle spasms and cramps",
        "What can cause it",
        "What you can do now",
        "About medicines",
        "At your visit",
        "When to get care now",
        "Where this comes from",
    ]


# --- red flags, closing, care now ------------------------------------------------------------


def test_an_emergency_opens_the_handout_with_that_one_action_alone():
    answers = {
        **SPASMS,
        "spasm-with": ["weakness"],
        "urgent-now": ["chest-pain"],
        "chest-pain-with": ["heavy"],
    }
    result = handout(answers)
    assert sections(result)[:2] == ["do-this-first", "intro"]
    first = result.blocks[0]
    assert first.block_id == "chest-pain-now" and "Call 911 now" in first.text
    # The urgent instruction is not shown beside it: one action, the most urgent one.
    assert "spasm-weakness" not in [block.block_id for block in result.blocks]
    assert result.markdown.index("## Do this first") < result.markdown.index("## Muscle spasms")
    # The topic gets its own heading, so its intro does not read as part of "Do this first".
    assert "### What can cause it" in result.markdown
    assert result.plain_text.index("Do this first.") < result.plain_text.index("A cramp is")
    # The clinician still sees both.
    assert result.rules_fired == ("chest-pain-now", "spasm-weakness")


def test_without_an_emergency_every_instruction_of_the_top_level_is_given():
    answers = {**SPASMS, "spasm-with": ["weakness"], "fever": True, "temperature": 39.8}
    result = handout(answers)
    first = [b.block_id for b in result.blocks if b.section == "do-this-first"]
    assert first == ["high-fever", "spasm-weakness"]


def test_no_do_this_first_when_nothing_fired():
    result = handout(SPASMS)
    assert "do-this-first" not in sections(result)
    assert "Do this first" not in result.markdown


def test_closing_is_always_present():
    for answers in (
        SPASMS,
        {**SPASMS, "reason": ["muscle-spasms", "low-back-pain", "sleep"]},
        {"reason": ["other"], "urgent-now": ["none"]},
        {"urgent-now": ["chest-pain"], "chest-pain-with": ["spreading"], "reason": ["chest-pain"]},
    ):
        result = handout(answers)
        assert texts(result, "closing") == [
            "This is general information. It is not a diagnosis.",
            "Your clinician will go over it with you at your visit. Bring your questions.",
        ]


def test_with_no_topic_the_handout_is_general():
    result = handout({"reason": ["other"], "reason-other": "a wart", "urgent-now": ["none"]})
    assert result.topics == ()
    assert result.title == "Before your visit"
    assert set(sections(result)) == {"closing", "get-care-now", "references"}


def test_an_emergency_without_a_topic_still_gets_a_handout():
    answers = {
        "reason": ["chest-pain"],
        "urgent-now": ["chest-pain"],
        "chest-pain-with": ["sweating"],
    }
    result = handout(answers)
    assert result.topics == ()
    assert sections(result)[0] == "do-this-first"
    assert "closing" in sections(result)


def test_get_care_now_lines_are_deduped_and_always_name_the_emergency_number():
    result = handout({**SPASMS, "reason": ["muscle-spasms", "low-back-pain"]})
    lines = texts(result, "get-care-now")
    assert len(lines) == len(set(lines))
    assert any("911" in line for line in lines)
    # The same line in a topic and in the global content is shown once, at the topic's place.
    droops = [b for b in result.blocks if b.section == "get-care-now" and "droops" in b.text]
    assert [(b.topic, b.block_id) for b in droops] == [("muscle-spasms", "care-chest")]
    assert lines[-1] == "You feel much worse before your visit. Call Riverside Clinic."


# --- placeholders, escaping, provenance ------------------------------------------------------


def test_placeholders_are_filled_everywhere():
    result = handout({**SPASMS, "reason": ["low-back-pain"], "spasm-with": ["numbness"]})
    for rendered in (result.markdown, result.html, result.plain_text):
        assert "{" not in rendered and "}" not in rendered
    assert "Ask Riverside Clinic before you take any medicine" in result.plain_text


def test_placeholder_values_are_html_escaped():
    hostile = HandoutContext(
        clinic_name='<script>alert("x")</script> Smith & *Jones*',
        emergency_number="<b>112</b>",
        crisis_line="[help](javascript:alert(1))",
    )
    answers = {**SPASMS, "reason": ["low-back-pain"], "self-harm-plan": True}
    result = handout(answers, context=hostile)
    assert "<script>" not in result.html
    assert "<b>112</b>" not in result.html
    assert re.findall(r'href="([^"]*)"', result.html) == [
        b.url for b in result.blocks if b.section == "references"
    ]
    assert 'Ask &lt;script&gt;alert("x")&lt;/script&gt; Smith &amp; *Jones* before' in result.html
    assert "&lt;b&gt;112&lt;/b&gt;" in result.html
    assert "[help](javascript:alert(1))" in result.html
    # What the patient reads as text is the value itself.
    assert 'Ask <script>alert("x")</script> Smith & *Jones* before' in result.plain_text


def test_content_text_cannot_become_markup():
    documents = fixture_documents()
    documents["sleep.yaml"]["intro"][0]["text"] = (
        "# Not a heading. *Not bold* and 1 < 2 and [x] too."
    )
    library = Library.from_documents(documents.values())
    result = handout({"reason": ["sleep"]}, library=library)
    assert "<p># Not a heading. *Not bold* and 1 &lt; 2 and [x] too.</p>" in result.html


def test_every_block_carries_its_provenance():
    answers = {
        **SPASMS,
        "reason": ["muscle-spasms", "low-back-pain", "sleep"],
        "fluids": "plenty",
        "spasm-with": ["weakness"],
    }
    result = handout(answers)
    library = fixture_library()
    versions = library.versions
    assert result.blocks
    for block in result.blocks:
        assert block.topic in versions
        assert block.version == versions[block.topic]
        assert block.block_id
        assert block.text
    # Every sentence of content the patient reads is one of those blocks.
    for block in result.blocks:
        assert block.text in result.plain_text


def test_block_ids_point_at_real_content():
    library = fixture_library()
    result = handout(
        {**SPASMS, "reason": ["muscle-spasms", "low-back-pain"], "spasm-with": ["numbness"]}
    )
    for block in result.blocks:
        topic = library.topic(block.topic)
        if block.section == "references":
            assert block.url in {ref.url for ref in topic.references}
            continue
        ids = {
            b.id
            for section in (
                topic.intro,
                topic.said,
                topic.causes,
                topic.self_care,
                topic.medicines,
                topic.visit,
                topic.get_care_now,
                topic.closing,
                topic.red_flags,
            )
            for b in section
        }
        assert block.block_id in ids, block


# --- references and URLs ----------------------------------------------------------------------


def test_no_urls_in_plain_text_but_links_in_html_and_markdown():
    result = handout({**SPASMS, "reason": ["muscle-spasms", "low-back-pain"]})
    assert not URL.search(result.plain_text)
    assert "- Muscle cramps (MedlinePlus)." in result.plain_text
    assert (
        '<a href="https://medlineplus.gov/ency/article/003193.htm">Muscle cramps (MedlinePlus)</a>'
        in (result.html)
    )
    assert "[Leg cramps (NHS)](https://www.nhs.uk/conditions/leg-cramps/)" in result.markdown


def test_references_are_listed_once():
    result = handout({**SPASMS, "reason": ["muscle-spasms", "low-back-pain", "sleep"]})
    urls = [b.url for b in result.blocks if b.section == "references"]
    assert len(urls) == len(set(urls)) == 8


# --- length and reading level --------------------------------------------------------------------


def _wordy_library():
    """Three topics, each long enough that together they run far over 800 words."""
    documents = fixture_documents()
    sentence = "Your body needs time to heal, so be kind to it each day."
    for name in ("muscle-spasms.yaml", "low-back-pain.yaml", "sleep.yaml"):
        doc = documents[name]
        doc["causes"] = [
            {"id": f"cause-{n}", "rank": 10 - n, "text": f"Cause {n}. {sentence}"} for n in range(6)
        ]
        doc["self_care"] = [
            {"id": f"step-{n}", "area": "general", "text": f"Step {n}. {sentence} {sentence}"}
            for n in range(8)
        ]
        doc["self_care"][6]["when"] = {"q": "stress", "is": "high"}
        doc["visit"] = [{"id": "visit", "text": f"{sentence} {sentence}"}]
    return Library.from_documents(documents.values())


def test_combined_topics_are_trimmed_to_fit_800_words():
    library = _wordy_library()
    answers = {**SPASMS, "reason": ["muscle-spasms", "low-back-pain", "sleep"], "stress": "high"}
    alone = handout({**answers, "reason": ["muscle-spasms"]}, library=library)
    untrimmed_words = sum(
        handout({**answers, "reason": [code]}, library=library).word_count
        for code in answers["reason"]
    )
    assert untrimmed_words > 1000  # the three together would be far too long
    result = handout(answers, library=library)
    assert result.word_count <= MAX_WORDS
    assert result.trimmed
    assert "muscle-spasms" not in result.trimmed  # the first topic is never trimmed

    def step_ids(topic):
        return [b.block_id for b in result.blocks if b.section == "self-care" and b.topic == topic]

    assert step_ids("muscle-spasms") == [
        b.block_id for b in alone.blocks if b.section == "self-care"
    ]
    assert len(step_ids("sleep")) < 8
    # A trimmed topic keeps the step tailored to the answers.
    assert "step-6" in step_ids("sleep")
    assert len([b for b in result.blocks if b.section == "causes" and b.topic == "sleep"]) < 4


def test_handouts_under_the_limit_are_not_trimmed():
    result = handout({**SPASMS, "reason": ["muscle-spasms", "low-back-pain", "sleep"]})
    assert result.word_count <= MAX_WORDS
    assert result.trimmed == ()


def test_word_count_and_reading_grade_are_textstats_on_the_plain_text():
    result = handout({**SPASMS, "fluids": "plenty", "sitting": "over-8"})
    assert result.word_count == textstat.lexicon_count(result.plain_text)
    assert result.reading_grade == textstat.flesch_kincaid_grade(result.plain_text)
    assert result.word_count == word_count(result.plain_text)
    assert result.reading_grade == reading_grade(result.plain_text)


def test_plain_text_headings_end_like_sentences_so_grade_is_not_skewed():
    result = handout(SPASMS)
    lines = result.plain_text.splitlines()
    assert lines[0] == "Muscle spasms and cramps."
    assert "What you can do now." in lines
    assert "When to get care now." in lines


def test_fixture_handouts_read_at_grade_six_or_below():
    for answers in (SPASMS, {**SPASMS, "reason": ["muscle-spasms", "low-back-pain", "sleep"]}):
        assert handout(answers).reading_grade <= 6.0


# --- snapshots ------------------------------------------------------------------------------------


def test_a_handout_survives_a_json_snapshot():
    result = handout({**SPASMS, "reason": ["muscle-spasms", "sleep"], "spasm-with": ["weakness"]})
    data = json.loads(json.dumps(result.to_dict()))
    assert Handout.from_dict(data) == result
    assert data["blocks"][0] == {
        "section": "do-this-first",
        "topic": "muscle-spasms",
        "block_id": "spasm-weakness",
        "version": 3,
        "text": result.blocks[0].text,
    }


def test_an_evaluation_survives_a_json_snapshot():
    evaluation = evaluate(
        {**SPASMS, "temperature": 39.9}, library=fixture_library(), context=CONTEXT
    )
    data = json.loads(json.dumps(evaluation.to_dict()))
    assert Evaluation.from_dict(data) == evaluation


def test_build_handout_triages_by_itself_when_not_given_a_result():
    answers = {**SPASMS, "spasm-with": ["weakness"]}
    result = build_handout(answers, library=fixture_library(), context=CONTEXT)
    assert result == handout(answers)


def test_html_is_the_markdown_rendered_by_the_markdown_package():
    hostile = HandoutContext(
        clinic_name="<i>Dr & Co</i>", emergency_number="911", crisis_line="988"
    )
    for answers, context, library in (
        (SPASMS, CONTEXT, None),
        ({**SPASMS, "spasm-with": ["weakness"], "self-harm-plan": True}, hostile, None),
        (
            {**SPASMS, "reason": ["muscle-spasms", "low-back-pain", "sleep"], "stress": "high"},
            CONTEXT,
            _wordy_library(),
        ),
    ):
        result = handout(answers, context=context, library=library)
        assert result.html == markdown.markdown(result.markdown, output_format="html")


def test_the_quick_word_count_used_for_trimming_matches_textstat():
    library = _wordy_library()
    for reasons in (
        ["sleep"],
        ["muscle-spasms", "low-back-pain"],
        ["low-back-pain", "muscle-spasms", "sleep"],
    ):
        answers = {**SPASMS, "reason": reasons, "stress": "high", "spasm-with": ["numbness"]}
        plans = choose_topics(answers, library=library)
        first = _do_this_first(triage(answers, library=library, context=CONTEXT), library, CONTEXT)
        last = _ending(plans, library, answers, None, CONTEXT)
        topic_plans = _plan_topics(plans, answers, None)
        for rung in range(len(_RUNGS)):
            parts = _compose(topic_plans, [rung] * len(plans), first, last, CONTEXT)
            plain = _render_plain("A title", parts)
            assert _count_words("A title", parts) == textstat.lexicon_count(plain)
