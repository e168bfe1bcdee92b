import pytest

from advice.conditions import AGE, ConditionError, compile_condition, example_answers


def holds(spec, answers, age=None):
    return compile_condition(spec).holds(answers, age)


# --- each operator ---------------------------------------------------------------------


def test_has_finds_a_code_in_a_multi_select():
    assert holds({"q": "reason", "has": "headache"}, {"reason": ["sleep", "headache"]})
    assert not holds({"q": "reason", "has": "headache"}, {"reason": ["sleep"]})


def test_has_matches_a_single_choice_that_equals_the_code():
    assert holds({"q": "fluids", "has": "plenty"}, {"fluids": "plenty"})
    assert not holds({"q": "fluids", "has": "plenty"}, {"fluids": "low"})


def test_has_any_needs_one_of_the_codes():
    spec = {"q": "spasm-with", "has_any": ["weakness", "numbness"]}
    assert holds(spec, {"spasm-with": ["numbness"]})
    assert holds(spec, {"spasm-with": ["weakness", "dark-urine"]})
    assert not holds(spec, {"spasm-with": ["none"]})
    assert holds({"q": "since", "has_any": ["today", "1-3-days"]}, {"since": "today"})


def test_is_compares_booleans_strings_and_numbers():
    assert holds({"q": "fever", "is": True}, {"fever": True})
    assert not holds({"q": "fever", "is": True}, {"fever": False})
    assert holds({"q": "sitting", "is": "over-8"}, {"sitting": "over-8"})
    assert holds({"q": "phq9-9", "is": 3}, {"phq9-9": 3})
    assert holds({"q": "temperature", "is": 38}, {"temperature": 38.0})


def test_a_boolean_answer_never_equals_a_score():
    assert not holds({"q": "fever", "is": 1}, {"fever": True})
    assert not holds({"q": "phq9-9", "is": True}, {"phq9-9": 1})
    assert not holds({"q": "phq9-9", "gte": 1}, {"phq9-9": True})


def test_is_on_a_multi_select_means_only_that_code_was_ticked():
    assert holds({"q": "urgent-now", "is": "none"}, {"urgent-now": ["none"]})
    assert not holds(
        {"q": "urgent-now", "is": "breathing"}, {"urgent-now": ["breathing", "fainted"]}
    )


def test_is_not_needs_an_answer_that_differs():
    spec = {"q": "fluids", "is_not": "plenty"}
    assert holds(spec, {"fluids": "low"})
    assert not holds(spec, {"fluids": "plenty"})
    assert not holds(spec, {})


@pytest.mark.parametrize(
    ("operator", "value", "expected"),
    [
        ("gte", 1, [False, True, True]),
        ("gt", 1, [False, False, True]),
        ("lte", 1, [True, True, False]),
        ("lt", 1, [True, False, False]),
    ],
)
def test_number_comparisons(operator, value, expected):
    spec = {"q": "phq9-9", operator: value}
    assert [holds(spec, {"phq9-9": score}) for score in (0, 1, 2)] == expected


def test_comparisons_on_text_answers_are_false():
    assert not holds({"q": "since", "gte": 1}, {"since": "1-3-days"})


def test_several_comparisons_in_one_leaf_must_all_hold():
    spec = {"q": "temperature", "gte": 38, "lt": 40}
    assert holds(spec, {"temperature": 38.6})
    assert not holds(spec, {"temperature": 40.1})
    assert not holds(spec, {"temperature": 37.2})


def test_exists_tells_answered_from_unanswered():
    assert holds({"q": "temperature", "exists": True}, {"temperature": 38.2})
    assert not holds({"q": "temperature", "exists": True}, {})
    assert holds({"q": "temperature", "exists": False}, {})
    assert not holds({"q": "temperature", "exists": False}, {"temperature": 38.2})


def test_an_empty_or_null_answer_counts_as_unanswered():
    assert not holds({"q": "reason", "exists": True}, {"reason": []})
    assert holds({"q": "reason-other", "exists": False}, {"reason-other": ""})
    assert not holds({"q": "fever", "is_not": True}, {"fever": None})


def test_age_conditions_use_the_patients_age():
    spec = {"age": {"gte": 50}}
    assert holds(spec, {}, age=50)
    assert not holds(spec, {}, age=49)
    assert holds({"age": {"gte": 18, "lt": 65}}, {}, age=40)
    assert not holds({"age": {"gte": 18, "lt": 65}}, {}, age=70)


def test_unknown_age_makes_an_age_condition_false():
    assert not holds({"age": {"gte": 50}}, {}, age=None)
    assert not holds({"age": {"lt": 50}}, {}, age=None)


# --- nesting ---------------------------------------------------------------------------


def test_all_needs_every_condition():
    spec = {"all": [{"q": "fever", "is": True}, {"q": "fever-with", "has": "stiff-neck"}]}
    assert holds(spec, {"fever": True, "fever-with": ["stiff-neck"]})
    assert not holds(spec, {"fever": True, "fever-with": ["none"]})


def test_any_needs_one_condition():
    spec = {"any": [{"q": "fluids", "is": "low"}, {"q": "exercise", "is": "new-or-more"}]}
    assert holds(spec, {"exercise": "new-or-more"})
    assert not holds(spec, {"fluids": "plenty", "exercise": "rarely"})


def test_not_inverts_and_is_true_for_an_unanswered_item():
    spec = {"not": {"q": "fluids", "is": "plenty"}}
    assert holds(spec, {"fluids": "low"})
    assert holds(spec, {})
    assert not holds(spec, {"fluids": "plenty"})


def test_deep_nesting():
    spec = {
        "all": [
            {
                "any": [
                    {"q": "urgent-now", "has": "chest-pain"},
                    {"q": "reason", "has": "chest-pain"},
                ]
            },
            {
                "not": {
                    "any": [
                        {"q": "chest-pain-with", "has_any": ["heavy", "spreading"]},
                        {"q": "chest-pain-minutes", "is": "over-15"},
                    ]
                }
            },
            {"any": [{"age": {"gte": 40}}, {"q": "conditions", "has": "heart"}]},
        ]
    }
    mild = {"reason": ["chest-pain"], "chest-pain-with": ["none"], "chest-pain-minutes": "under-5"}
    assert holds(spec, mild, age=55)
    assert holds(spec, {**mild, "conditions": ["heart"]}, age=None)
    assert not holds(spec, mild, age=30)
    assert not holds(spec, {**mild, "chest-pain-minutes": "over-15"}, age=55)


def test_unanswered_items_make_every_kind_of_leaf_false():
    for operator, value in [
        ("has", "x"),
        ("has_any", ["x"]),
        ("is", "x"),
        ("is_not", "x"),
        ("gte", 0),
        ("lt", 100),
        ("exists", True),
    ]:
        assert not holds({"q": "never-asked", operator: value}, {}), operator


# --- evidence ----------------------------------------------------------------------------


def test_used_reports_the_answers_that_made_the_condition_true():
    spec = {
        "all": [
            {"q": "fever", "is": True},
            {"any": [{"q": "fever-with", "has": "stiff-neck"}, {"q": "temperature", "gte": 40}]},
        ]
    }
    answers = {"fever": True, "fever-with": ["stiff-neck", "light-hurts"], "temperature": 39.8}
    assert compile_condition(spec).used(answers) == {
        "fever": True,
        "fever-with": ["stiff-neck", "light-hurts"],
    }


def test_used_lists_every_branch_of_any_that_held():
    spec = {"any": [{"q": "fluids", "is": "low"}, {"q": "exercise", "is": "new-or-more"}]}
    answers = {"fluids": "low", "exercise": "new-or-more", "stress": "high"}
    assert compile_condition(spec).used(answers) == {"fluids": "low", "exercise": "new-or-more"}


def test_used_is_empty_when_the_condition_is_false():
    assert compile_condition({"q": "fever", "is": True}).used({"fever": False}) == {}


def test_used_includes_age_for_age_conditions():
    spec = {"all": [{"q": "headache-with", "has": "jaw-pain"}, {"age": {"gte": 50}}]}
    used = compile_condition(spec).used({"headache-with": ["jaw-pain"]}, age=72)
    assert used == {"headache-with": ["jaw-pain"], AGE: 72}


def test_used_under_not_shows_the_answers_that_were_found_wanting():
    spec = {
        "all": [
            {"q": "reason", "has": "chest-pain"},
            {"not": {"q": "chest-pain-with", "has": "heavy"}},
        ]
    }
    answers = {"reason": ["chest-pain"], "chest-pain-with": ["sick"]}
    assert compile_condition(spec).used(answers) == {
        "reason": ["chest-pain"],
        "chest-pain-with": ["sick"],
    }


def test_used_values_are_copies():
    answers = {"reason": ["sleep"]}
    used = compile_condition({"q": "reason", "has": "sleep"}).used(answers)
    used["reason"].append("changed")
    assert answers == {"reason": ["sleep"]}


def test_a_condition_knows_the_link_ids_it_names():
    spec = {
        "any": [
            {"q": "fluids", "is": "low"},
            {"not": {"q": "stress", "is": "low"}},
            {"age": {"gt": 1}},
        ]
    }
    assert compile_condition(spec).link_ids == {"fluids", "stress"}


# --- mistakes --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"q": "fluids", "eq": "low"}, "unknown condition operator 'eq'"),
        ({"q": "fluids"}, "says nothing about the answer"),
        ({"q": "", "is": "low"}, "q names an answer linkId"),
        ({"all": []}, "all takes a non-empty list"),
        ({"any": {"q": "x", "is": 1}}, "any takes a non-empty list"),
        ({"q": "a", "is": 1, "all": []}, "exactly one of q, age, all, any, not"),
        ({"not": {"q": "a", "is": 1}, "is": 2}, "belongs with q"),
        ({"q": "a", "has_any": "x"}, "has_any takes a non-empty list"),
        ({"q": "a", "has": ["x"]}, "has takes one code"),
        ({"q": "a", "gte": "5"}, "gte takes a number"),
        ({"q": "a", "exists": "yes"}, "exists takes true or false"),
        ({"q": "a", "exists": True, "is": 1}, "exists cannot be combined"),
        ({"age": 50}, "age takes comparisons"),
        ({"age": {"is": 50}}, "unknown condition operator 'is' for age"),
        ("fever", "a condition is a mapping"),
        ({"all": [{"q": "a", "is": 1}, {"any": [{"q": "b", "equals": 2}]}]}, "when.all[1].any[0]"),
    ],
)
def test_a_mistake_in_a_condition_says_what_and_where(spec, message):
    with pytest.raises(ConditionError, match=message.replace("[", r"\[").replace("]", r"\]")):
        compile_condition(spec)


# --- examples ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "spec",
    [
        {"q": "reason", "has": "sleep"},
        {"q": "fluids", "is_not": "plenty"},
        {"q": "phq9-total", "gte": 10, "lt": 15},
        {"q": "temperature", "exists": False},
        {"not": {"q": "fluids", "is": "plenty"}},
        {"all": [{"q": "reason", "has": "sleep"}, {"q": "reason", "has": "headache"}]},
        {"any": [{"age": {"gte": 65}}, {"q": "conditions", "has": "heart"}]},
        {"all": [{"age": {"gte": 50}}, {"not": {"q": "fever", "is": True}}]},
    ],
)
def test_example_answers_make_a_condition_hold_and_not_hold(spec):
    condition = compile_condition(spec)
    for wanted in (True, False):
        example = example_answers(condition, holds=wanted, vocabulary={"fluids": ["low", "plenty"]})
        assert example is not None, wanted
        answers, age = example
        assert condition.holds(answers, age) is wanted


def test_example_answers_give_up_on_a_contradiction():
    spec = {"all": [{"q": "fluids", "is": "low"}, {"q": "fluids", "is": "plenty"}]}
    assert example_answers(compile_condition(spec)) is None
