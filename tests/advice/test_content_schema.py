import copy

import pytest

from advice import ContentError, Library, TriageLevel
from advice.content_schema import Cause, SelfCare
from tests.advice.support import FIXTURE_LIBRARY, fixture_documents, write_library


def good_documents():
    return copy.deepcopy(fixture_documents())


def load(tmp_path, documents):
    return Library.from_directory(write_library(tmp_path / "content", documents))


def error_for(tmp_path, change, name="muscle-spasms.yaml"):
    """The ContentError the fixture library raises after `change` to one document."""
    documents = good_documents()
    change(documents[name])
    with pytest.raises(ContentError) as caught:
        load(tmp_path, documents)
    return caught.value


# --- what loads ----------------------------------------------------------------------------


def test_the_fixture_library_loads_into_frozen_dataclasses():
    library = Library.from_directory(FIXTURE_LIBRARY)
    assert [topic.topic for topic in library] == ["low-back-pain", "muscle-spasms", "sleep"]
    spasms = library.topic("muscle-spasms")
    assert spasms.version == 3
    assert spasms.title == "Muscle spasms and cramps"
    assert isinstance(spasms.causes[0], Cause)
    assert spasms.causes[0].rank == 5 and spasms.causes[0].boost == 10
    assert isinstance(spasms.self_care[0], SelfCare)
    assert spasms.self_care[0].shared == "gentle-stretch"
    assert spasms.red_flags[0].level is TriageLevel.URGENT
    assert spasms.references[0].url.startswith("https://")
    assert library.global_topic.closing[0].id == "not-diagnosis"
    with pytest.raises(AttributeError):
        spasms.title = "changed"


def test_folded_text_is_one_line_with_single_spaces():
    library = Library.from_directory(FIXTURE_LIBRARY)
    text = library.topic("muscle-spasms").intro[0].text
    assert "\n" not in text and "  " not in text


def test_a_parsed_directory_is_cached_until_a_file_changes(tmp_path):
    directory = write_library(tmp_path / "content", good_documents())
    first = Library.from_directory(directory)
    assert Library.from_directory(directory) is first
    documents = good_documents()
    documents["sleep.yaml"]["version"] = 12  # a new size, whatever the clock resolution
    write_library(directory, {"sleep.yaml": documents["sleep.yaml"]})
    reloaded = Library.from_directory(directory)
    assert reloaded is not first
    assert reloaded.topic("sleep").version == 12


def test_documents_give_the_same_library_as_files():
    from_files = Library.from_directory(FIXTURE_LIBRARY)
    from_documents = Library.from_documents(list(good_documents().values()))
    assert from_documents.versions == from_files.versions
    for topic in from_files:
        other = from_documents.topic(topic.topic)
        assert [b.text for b in other.self_care] == [b.text for b in topic.self_care]
        assert [f.id for f in other.red_flags] == [f.id for f in topic.red_flags]


def test_the_same_documents_are_parsed_once():
    documents = list(good_documents().values())
    assert Library.from_documents(documents) is Library.from_documents(copy.deepcopy(documents))


def test_document_errors_name_the_document():
    documents = list(good_documents().values())
    sleep = next(d for d in documents if d["topic"] == "sleep")
    sleep["intro"][0]["text"] = ""
    with pytest.raises(ContentError, match=r"document \d \(sleep v1\): what: missing text"):
        Library.from_documents(documents)


# --- what does not -------------------------------------------------------------------------


def test_unknown_condition_operator(tmp_path):
    def change(doc):
        doc["causes"][0]["when"] = {"q": "fluids", "eq": "plenty"}

    error = error_for(tmp_path, change)
    assert error.source.endswith("muscle-spasms.yaml")
    assert error.block == "minerals"
    assert "unknown condition operator 'eq'" in str(error)


def test_unknown_operator_deep_in_applies_when(tmp_path):
    def change(doc):
        doc["applies_when"] = {"any": [{"q": "reason", "has": "x"}, {"q": "y", "contains": "z"}]}

    error = error_for(tmp_path, change)
    assert "applies_when" in str(error)
    assert "unknown condition operator 'contains'" in str(error)


def test_missing_text(tmp_path):
    error = error_for(tmp_path, lambda doc: doc["self_care"][1].pop("text"))
    assert error.block == "foods"
    assert "missing text" in str(error)


def test_duplicate_id(tmp_path):
    error = error_for(tmp_path, lambda doc: doc["visit"][0].update(id="what"))
    assert error.block == "what"
    assert "duplicate id" in str(error)


def test_bad_red_flag_level(tmp_path):
    error = error_for(tmp_path, lambda doc: doc["red_flags"][0].update(level="later"))
    assert error.block == "spasm-weakness"
    assert "level must be emergency, urgent or soon, got 'later'" in str(error)


def test_routine_is_not_a_red_flag_level(tmp_path):
    error = error_for(tmp_path, lambda doc: doc["red_flags"][0].update(level="routine"))
    assert "level must be emergency, urgent or soon" in str(error)


def test_unknown_placeholder(tmp_path):
    def change(doc):
        doc["visit"][0]["text"] = "Ask {doctor_name} about it."

    error = error_for(tmp_path, change)
    assert error.block == "visit-when"
    assert "unknown placeholder {doctor_name}" in str(error)


def test_stray_brace(tmp_path):
    error = error_for(tmp_path, lambda doc: doc["visit"][0].update(text="Tell us {soon."))
    assert "stray brace" in str(error)


def test_placeholder_in_a_red_flag_act_is_checked(tmp_path):
    def change(doc):
        doc["red_flags"][0]["act"] = "Call {clinic_phone} today."

    error = error_for(tmp_path, change)
    assert error.block == "spasm-weakness"
    assert "unknown placeholder {clinic_phone} in act" in str(error)


@pytest.mark.parametrize("count", [0, 1, 6])
def test_a_topic_cites_two_to_five_references(tmp_path, count):
    def change(doc):
        doc["references"] = [
            {"title": f"Source {n}", "url": f"https://example.org/{n}"} for n in range(count)
        ]

    error = error_for(tmp_path, change)
    assert f"{count} references; a topic cites 2 to 5" in str(error)


def test_medicines_without_the_ask_your_clinic_before_advice(tmp_path):
    def change(doc):
        doc["medicines"] = [{"id": "pills", "text": "Some medicines can help with cramps."}]

    error = error_for(tmp_path, change)
    assert error.block == "medicines"
    assert "ask your clinic before" in str(error)


def test_the_ask_first_advice_cannot_hide_behind_a_when(tmp_path):
    def change(doc):
        doc["medicines"][0]["when"] = {"q": "stress", "is": "high"}

    error = error_for(tmp_path, change)
    assert "in a block without when" in str(error)


@pytest.mark.parametrize(
    "text",
    [
        "Ask your clinic before you start any medicine.",
        "Before you take any medicine, check with {clinic_name}.",
        "Ask us before you take anything, even from a shop.",
        "Talk to your clinician before you start a new medicine.",
    ],
)
def test_ways_of_saying_ask_first_are_accepted(tmp_path, text):
    documents = good_documents()
    documents["muscle-spasms.yaml"]["medicines"] = [{"id": "ask", "text": text}]
    assert load(tmp_path, documents).topic("muscle-spasms").medicines[0].text == text


def test_topic_must_match_the_file_name(tmp_path):
    error = error_for(tmp_path, lambda doc: doc.update(topic="cramps"))
    assert "topic is 'cramps' but the file name says 'muscle-spasms'" in str(error)


def test_unknown_key_catches_a_misspelt_section(tmp_path):
    error = error_for(tmp_path, lambda doc: doc.update({"self-care": []}))
    assert "unknown key 'self-care'" in str(error)


def test_unknown_key_in_a_block(tmp_path):
    error = error_for(tmp_path, lambda doc: doc["intro"][0].update(rank=3))
    assert error.block == "what"
    assert "unknown key 'rank' in intro" in str(error)


def test_bad_self_care_area(tmp_path):
    error = error_for(tmp_path, lambda doc: doc["self_care"][0].update(area="diet"))
    assert error.block == "stretch"
    assert "area must be one of" in str(error)


def test_cause_needs_a_numeric_rank(tmp_path):
    error = error_for(tmp_path, lambda doc: doc["causes"][3].pop("rank"))
    assert error.block == "hard-work"
    assert "rank must be a number" in str(error)


def test_boost_without_when(tmp_path):
    error = error_for(tmp_path, lambda doc: doc["causes"][3].update(boost=3))
    assert "boost needs a when" in str(error)


def test_missing_applies_when(tmp_path):
    error = error_for(tmp_path, lambda doc: doc.pop("applies_when"))
    assert "missing applies_when" in str(error)


def test_missing_intro(tmp_path):
    error = error_for(tmp_path, lambda doc: doc.pop("intro"))
    assert "missing intro" in str(error)


@pytest.mark.parametrize("version", [0, "1", None, 1.5, True])
def test_version_is_a_whole_number(tmp_path, version):
    error = error_for(tmp_path, lambda doc: doc.update(version=version))
    assert "version must be a whole number" in str(error)


def test_a_red_flag_needs_a_source(tmp_path):
    error = error_for(tmp_path, lambda doc: doc["red_flags"][0].pop("source"))
    assert error.block == "spasm-weakness"
    assert "missing source" in str(error)


def test_a_red_flag_needs_a_reason_for_the_clinician(tmp_path):
    error = error_for(tmp_path, lambda doc: doc["red_flags"][0].pop("reason"))
    assert "missing reason" in str(error)


def test_red_flag_ids_are_unique_across_files(tmp_path):
    def change(doc):
        doc["red_flags"][0]["id"] = "chest-pain-now"

    error = error_for(tmp_path, change)
    assert error.block == "chest-pain-now"
    assert "red flag id is also used in" in str(error)


def test_a_web_address_belongs_in_references(tmp_path):
    def change(doc):
        doc["intro"][0]["text"] = "Read more at https://example.org/cramps today."

    error = error_for(tmp_path, change)
    assert "a web address in text" in str(error)


def test_no_doses_in_text(tmp_path):
    def change(doc):
        doc["medicines"][0]["text"] = "Ask your clinic before you take 400 mg of anything."

    error = error_for(tmp_path, change)
    assert "a dose in text" in str(error)


def test_text_must_end_like_a_sentence(tmp_path):
    error = error_for(tmp_path, lambda doc: doc["visit"][0].update(text="Tell us more"))
    assert "must end with . ! or ?" in str(error)


def test_reference_url_must_be_a_web_address(tmp_path):
    def change(doc):
        doc["references"][0]["url"] = "medlineplus.gov/cramps"

    error = error_for(tmp_path, change)
    assert "references[0]" in str(error)
    assert "reference url must be an http(s) address" in str(error)


def test_bad_id(tmp_path):
    error = error_for(tmp_path, lambda doc: doc["visit"][0].update(id="Visit When"))
    assert "id must be lower-case" in str(error)


def test_not_valid_yaml(tmp_path):
    directory = write_library(tmp_path / "content", good_documents())
    (directory / "sleep.yaml").write_text("topic: sleep\nintro: [unclosed\n", "utf-8")
    with pytest.raises(ContentError, match=r"sleep\.yaml: not valid YAML"):
        Library.from_directory(directory)


def test_a_library_needs_the_global_document(tmp_path):
    documents = good_documents()
    del documents["_global.yaml"]
    with pytest.raises(ContentError, match="no global document"):
        load(tmp_path, documents)


def test_global_needs_closing(tmp_path):
    error = error_for(tmp_path, lambda doc: doc.pop("closing"), name="_global.yaml")
    assert "missing closing" in str(error)


def test_global_must_say_when_to_call_the_emergency_number(tmp_path):
    def change(doc):
        doc["get_care_now"] = [doc["get_care_now"][1]]

    error = error_for(tmp_path, change, name="_global.yaml")
    assert "{emergency_number}" in str(error)


def test_global_has_no_topic_sections(tmp_path):
    def change(doc):
        doc["intro"] = [{"id": "hello", "text": "Hello."}]

    error = error_for(tmp_path, change, name="_global.yaml")
    assert "unknown key 'intro'" in str(error)


def test_two_documents_for_one_topic(tmp_path):
    documents = list(good_documents().values())
    documents.append(copy.deepcopy(documents[-1]))
    with pytest.raises(ContentError, match="topic 'sleep' is also in"):
        Library.from_documents(documents)


def test_missing_directory(tmp_path):
    with pytest.raises(ContentError, match="no such content directory"):
        Library.from_directory(tmp_path / "nowhere")
