"""The 20 triage vignettes of /work/shared/vignettes.md as questionnaire answers.

Each entry is what the patient would answer in the pre-visit questionnaire,
using only the linkIds and codes of docs/answers.md (an item appears only when
it would be enabled and answered), with the expected triage level and handout
topics. `topics` is None for the "(emergency screen)" and "(flag)" cases, where
no particular topic is required: what matters there is the red-flag advice at
the top of the handout.

Used by tests/advice/test_vignettes.py, and by the portal and `evaluate_response`
tests on the Django side.
"""

from __future__ import annotations

from typing import Any

__all__ = ["VIGNETTES", "mood"]


def mood(
    phq: tuple[int, ...] = (0, 0),
    gad: tuple[int, ...] = (0, 0),
    *,
    self_harm_plan: bool | None = None,
    self_harm_intent: bool | None = None,
) -> dict[str, Any]:
    """PHQ and GAD answers with their calculated totals.

    `phq` holds 2 items, or all 9 when `phq9-3..9` are asked (PHQ-2 total >= 2
    or reason stress-mood); `gad` holds 2 items, or all 7 when GAD-2 total >= 3.
    The self-harm questions are asked only when item 9 is above 0.
    """
    answers: dict[str, Any] = {f"phq9-{n}": score for n, score in enumerate(phq, start=1)}
    answers |= {f"gad7-{n}": score for n, score in enumerate(gad, start=1)}
    answers["phq2-total"] = sum(phq[:2])
    answers["gad2-total"] = sum(gad[:2])
    if len(phq) == 9:
        answers["phq9-total"] = sum(phq)
    if len(gad) == 7:
        answers["gad7-total"] = sum(gad)
    if self_harm_plan is not None:
        answers["self-harm-plan"] = self_harm_plan
    if self_harm_intent is not None:
        answers["self-harm-intent"] = self_harm_intent
    return answers


def _lifestyle(**overrides: str) -> dict[str, str]:
    """An ordinary week, changed where the vignette says otherwise."""
    answers = {
        "fluids": "some",
        "exercise": "some",
        "sitting": "4-8",
        "stress": "some",
        "sleep-hours": "6-8",
        "sleep-quality": "fair",
        "caffeine": "1-2",
        "alcohol": "some",
        "smoking": "never",
    }
    for key, value in overrides.items():
        answers[key.replace("_", "-")] = value
    return answers


VIGNETTES: dict[str, dict[str, Any]] = {
    # Man, 61: heavy chest pressure for 20 minutes, spreading to the jaw, sweating.
    "V01": {
        "age": 61,
        "level": "emergency",
        "topics": None,
        "answers": {
            "reason": ["chest-pain"],
            "urgent-now": ["chest-pain"],
            "chest-pain-with": ["heavy", "spreading", "sweating"],
            "chest-pain-minutes": "over-15",
            "chest-pain-when": "any-time",
            "since": "today",
            "how-often": "all-the-time",
            "severity": 8,
            "fever": False,
            **_lifestyle(smoking="past"),
            "conditions": ["high-bp"],
            **mood(),
        },
    },
    # Woman, 74: sudden weakness of the right arm and trouble finding words, an hour ago.
    "V02": {
        "age": 74,
        "level": "emergency",
        "topics": None,
        "answers": {
            "reason": ["other"],
            "reason-other": "My right arm went weak and I cannot find my words",
            "urgent-now": ["stroke-signs"],
            "stroke-started": "under-24h",
            "since": "today",
            "how-often": "all-the-time",
            "severity": 7,
            "fever": False,
            **_lifestyle(exercise="rarely", alcohol="none"),
            "conditions": ["high-bp", "diabetes"],
            **mood(),
        },
    },
    # Woman, 39: "thunderclap" headache, the worst ever, full strength within a minute.
    "V03": {
        "age": 39,
        "level": "emergency",
        "topics": None,
        "answers": {
            "reason": ["headache"],
            "urgent-now": ["worst-headache"],
            "headache-sudden": True,
            "headache-pattern": "new",
            "headache-with": ["none"],
            "since": "today",
            "how-often": "all-the-time",
            "severity": 10,
            "fever": False,
            **_lifestyle(),
            "conditions": ["none"],
            **mood(),
        },
    },
    # Man, 52: low back pain after lifting; since yesterday cannot pass urine, inner thighs numb.
    "V04": {
        "age": 52,
        "level": "emergency",
        "topics": ["low-back-pain"],
        "answers": {
            "reason": ["low-back-pain"],
            "urgent-now": ["none"],
            "back-cause": "lifting",
            "back-with": ["bladder-bowel", "saddle-numb"],
            "since": "4-7-days",
            "how-often": "all-the-time",
            "worse-with": "activity",
            "severity": 8,
            "fever": False,
            **_lifestyle(),
            "conditions": ["none"],
            **mood(),
        },
    },
    # Man, 19: fever 39.8 °C, stiff neck, light hurts the eyes.
    "V05": {
        "age": 19,
        "level": "emergency",
        "topics": None,
        "answers": {
            "reason": ["fever", "headache"],
            "urgent-now": ["none"],
            "headache-pattern": "new",
            "headache-with": ["stiff-neck"],
            "since": "1-3-days",
            "how-often": "all-the-time",
            "severity": 8,
            "fever": True,
            "temperature": 39.8,
            "fever-with": ["stiff-neck", "light-hurts"],
            **_lifestyle(),
            "conditions": ["none"],
            **mood(),
        },
    },
    # Woman, 28: PHQ-9 item 9 "nearly every day"; has thought about how she would do it.
    "V06": {
        "age": 28,
        "level": "emergency",
        "topics": ["stress-mood"],
        "answers": {
            "reason": ["stress-mood"],
            "mood-with": ["low"],
            "urgent-now": ["none"],
            "since": "1-3-months",
            "how-often": "all-the-time",
            "severity": 8,
            "fever": False,
            **_lifestyle(stress="high", sleep_quality="poor", sleep_hours="under-6"),
            "conditions": ["none"],
            **mood(
                (3, 3, 2, 3, 2, 3, 2, 1, 3),
                (2, 2, 2, 1, 1, 2, 1),
                self_harm_plan=True,
                self_harm_intent=False,
            ),
        },
    },
    # Man, 45: spasms in both legs for 3 weeks; for 4 days the left foot drags, shin numb.
    "V07": {
        "age": 45,
        "level": "urgent",
        "topics": ["muscle-spasms"],
        "answers": {
            "reason": ["muscle-spasms"],
            "urgent-now": ["none"],
            "spasm-where": ["legs"],
            "spasm-with": ["weakness", "numbness"],
            "spasm-after-exercise": False,
            "since": "1-4-weeks",
            "how-often": "daily",
            "severity": 5,
            "fever": False,
            **_lifestyle(),
            "conditions": ["none"],
            **mood(),
        },
    },
    # Woman, 33: burning when passing urine, fever 38.6 °C, pain in one side of the back.
    "V08": {
        "age": 33,
        "level": "urgent",
        "topics": ["urinary"],
        "answers": {
            "reason": ["urinary"],
            "urgent-now": ["none"],
            "urinary-with": ["burning", "side-pain"],
            "since": "1-3-days",
            "how-often": "all-the-time",
            "severity": 6,
            "fever": True,
            "temperature": 38.6,
            "fever-with": ["none"],
            **_lifestyle(),
            "conditions": ["none"],
            **mood(),
        },
    },
    # Woman, 57: one calf swollen, warm and sore since a 12-hour flight 3 days ago.
    "V09": {
        "age": 57,
        "level": "urgent",
        "topics": None,
        "answers": {
            "reason": ["leg-swelling"],
            "urgent-now": ["none"],
            "leg-swelling-side": "one",
            "leg-swelling-with": ["warm-red", "painful", "long-travel"],
            "since": "1-3-days",
            "how-often": "all-the-time",
            "severity": 5,
            "fever": False,
            **_lifestyle(),
            "conditions": ["none"],
            **mood(),
        },
    },
    # Man, 66: fainted yesterday while standing; light-headed since.
    "V10": {
        "age": 66,
        "level": "urgent",
        "topics": ["dizziness"],
        "answers": {
            "reason": ["dizziness"],
            "urgent-now": ["fainted"],
            "dizzy-with": ["fainted", "on-standing"],
            "since": "1-3-days",
            "how-often": "comes-and-goes",
            "severity": 4,
            "fever": False,
            **_lifestyle(exercise="rarely"),
            "conditions": ["high-bp"],
            **mood(),
        },
    },
    # Woman, 24: PHQ-9 total 11, item 9 "several days", no plan.
    "V11": {
        "age": 24,
        "level": "urgent",
        "topics": ["stress-mood"],
        "answers": {
            "reason": ["stress-mood"],
            "mood-with": ["low"],
            "urgent-now": ["none"],
            "since": "1-3-months",
            "how-often": "daily",
            "severity": 6,
            "fever": False,
            **_lifestyle(stress="high", sleep_quality="poor"),
            "conditions": ["none"],
            **mood(
                (2, 2, 1, 1, 1, 1, 1, 1, 1),
                (1, 1),
                self_harm_plan=False,
                self_harm_intent=False,
            ),
        },
    },
    # Man, 58: cough for 4 weeks, coughed up blood twice, lost weight without trying.
    "V12": {
        "age": 58,
        "level": "urgent",
        "topics": ["cough-cold"],
        "answers": {
            "reason": ["cough-cold"],
            "urgent-now": ["none"],
            "cough-with": ["blood"],
            "cough-weeks": "over-3",
            "since": "1-4-weeks",
            "how-often": "daily",
            "severity": 4,
            "fever": False,
            "weight-loss": True,
            **_lifestyle(smoking="now"),
            "conditions": ["none"],
            **mood(),
        },
    },
    # Woman, 42: frequent spasms in legs and back, also at rest; drinks plenty of water;
    # desk job, sits most of the day; no weakness or numbness.
    "V13": {
        "age": 42,
        "level": "routine",
        "topics": ["muscle-spasms"],
        "answers": {
            "reason": ["muscle-spasms"],
            "urgent-now": ["none"],
            "spasm-where": ["legs", "back"],
            "spasm-with": ["none"],
            "spasm-after-exercise": False,
            "since": "1-3-months",
            "how-often": "daily",
            "worse-with": "rest",
            "at-rest": True,
            "at-night": False,
            "severity": 4,
            "fever": False,
            **_lifestyle(fluids="plenty", sitting="over-8", exercise="rarely"),
            "conditions": ["none"],
            **mood(),
        },
    },
    # Man, 37: low back ache for 10 days after moving house; no numbness, no bladder or
    # bowel change, no fever.
    "V14": {
        "age": 37,
        "level": "routine",
        "topics": ["low-back-pain"],
        "answers": {
            "reason": ["low-back-pain"],
            "urgent-now": ["none"],
            "back-cause": "lifting",
            "back-with": ["none"],
            "since": "1-4-weeks",
            "how-often": "daily",
            "worse-with": "activity",
            "severity": 4,
            "fever": False,
            **_lifestyle(),
            "conditions": ["none"],
            **mood(),
        },
    },
    # Woman, 30: runny nose, sore throat and cough for 3 days, no fever, breathing normal.
    "V15": {
        "age": 30,
        "level": "routine",
        "topics": ["cough-cold"],
        "answers": {
            "reason": ["cough-cold"],
            "urgent-now": ["none"],
            "cough-with": ["none"],
            "cough-weeks": "under-1",
            "since": "1-3-days",
            "how-often": "all-the-time",
            "severity": 3,
            "fever": False,
            **_lifestyle(),
            "conditions": ["none"],
            **mood(),
        },
    },
    # Man, 48: heartburn after large meals for 6 weeks, swallowing normal, weight steady.
    "V16": {
        "age": 48,
        "level": "routine",
        "topics": ["heartburn"],
        "answers": {
            "reason": ["heartburn"],
            "urgent-now": ["none"],
            "heartburn-with": ["none"],
            "heartburn-when": ["large-meals"],
            "since": "1-3-months",
            "how-often": "comes-and-goes",
            "severity": 3,
            "fever": False,
            "weight-loss": False,
            **_lifestyle(caffeine="3-plus"),
            "conditions": ["none"],
            **mood(),
        },
    },
    # Woman, 26: calf cramps at night after starting to run 5 km a day, otherwise well.
    "V17": {
        "age": 26,
        "level": "routine",
        "topics": ["muscle-spasms"],
        "answers": {
            "reason": ["muscle-spasms"],
            "urgent-now": ["none"],
            "spasm-where": ["calves"],
            "spasm-with": ["none"],
            "spasm-after-exercise": True,
            "since": "1-4-weeks",
            "how-often": "comes-and-goes",
            "at-night": True,
            "severity": 3,
            "fever": False,
            **_lifestyle(exercise="new-or-more", sitting="under-4", stress="low"),
            "conditions": ["none"],
            **mood(),
        },
    },
    # Man, 35: GAD-7 total 7, sleeping poorly, work stress.
    "V18": {
        "age": 35,
        "level": "routine",
        "topics": ["stress-mood", "sleep"],
        "answers": {
            "reason": ["stress-mood", "sleep"],
            "mood-with": ["worry", "work-stress"],
            "sleep-problem": ["falling-asleep", "staying-asleep"],
            "urgent-now": ["none"],
            "since": "1-3-months",
            "how-often": "daily",
            "severity": 5,
            "fever": False,
            **_lifestyle(
                stress="high", sleep_quality="poor", sleep_hours="under-6", caffeine="3-plus"
            ),
            "conditions": ["none"],
            **mood((0, 1, 2, 1, 0, 0, 1, 0, 0), (1, 2, 1, 1, 1, 1, 0)),
        },
    },
    # Woman, 63: knee pain on stairs for 8 months, no swelling or redness, no fever.
    "V19": {
        "age": 63,
        "level": "routine",
        "topics": ["joint-pain"],
        "answers": {
            "reason": ["joint-pain"],
            "urgent-now": ["none"],
            "joint-where": ["knee"],
            "joint-with": ["stairs"],
            "since": "over-3-months",
            "how-often": "comes-and-goes",
            "worse-with": "activity",
            "severity": 4,
            "fever": False,
            **_lifestyle(),
            "conditions": ["none"],
            **mood(),
        },
    },
    # Man, 29: itchy red rash on both forearms since changing laundry soap; no lip or face
    # swelling, breathing normal.
    "V20": {
        "age": 29,
        "level": "routine",
        "topics": ["skin-rash"],
        "answers": {
            "reason": ["skin-rash"],
            "urgent-now": ["none"],
            "rash-with": ["new-product"],
            "rash-where": ["arms"],
            "since": "1-4-weeks",
            "how-often": "all-the-time",
            "severity": 3,
            "fever": False,
            **_lifestyle(),
            "conditions": ["none"],
            **mood(),
        },
    },
}
