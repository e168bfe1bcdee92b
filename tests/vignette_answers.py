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
            "medicine-classes": ["none"],
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
            "medicine-classes": ["none"],
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
            "medicine-classes": ["none"],
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
            "medicine-classes": ["none"],
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
            "medicine-classes": ["none"],
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
            "medicine-classes": ["none"],
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
            "medicine-classes": ["none"],
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
            "medicine-classes": ["none"],
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
            "medicine-classes": ["none"],
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
            "medicine-classes": ["none"],
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
            "medicine-classes": ["none"],
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
            "medicine-classes": ["none"],
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
            "medicine-classes": ["none"],
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
            "medicine-classes": ["none"],
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
            "medicine-classes": ["none"],
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
            "medicine-classes": ["none"],
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
            "medicine-classes": ["none"],
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
            "medicine-classes": ["none"],
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
            "medicine-classes": ["none"],
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
            "medicine-classes": ["none"],
            **mood(),
        },
    },
}


def _patient(*, conditions=("none",), medicines=("none",), **answers: Any) -> dict[str, Any]:
    """A second-set answer sheet: the vignette's answers, an ordinary week, calm mood."""
    sheet = {"urgent-now": ["none"], "fever": False}
    sheet |= {key.replace("_", "-"): value for key, value in answers.items()}
    lifestyle = {k: v for k, v in sheet.items() if k in _lifestyle()}
    sheet |= {**_lifestyle(), **lifestyle}
    sheet |= {"conditions": list(conditions), "medicine-classes": list(medicines), **mood()}
    return sheet


# The second set (V21-V44): presentations that questionnaire version 1 could not express.
SECOND_SET: dict[str, dict[str, Any]] = {
    # Woman, 30: 8 weeks pregnant, bleeding from the vagina with cramping belly pain.
    "V21": {
        "age": 30,
        "level": "emergency",
        "topics": None,
        "answers": _patient(
            reason=["belly-pain"],
            urgent_now=["pregnancy-emergency"],
            belly_where=["lower-middle"],
            belly_with=["none"],
            since="today",
            how_often="comes-and-goes",
            severity=6,
            conditions=["pregnant"],
            pregnancy_weeks=8,
            pregnancy_with=["bleeding", "belly-pain"],
        ),
    },
    # Man, 24: sudden severe pain and swelling of one testicle since this morning.
    "V22": {
        "age": 24,
        "level": "emergency",
        "topics": None,
        "answers": _patient(
            reason=["mens-health"],
            urgent_now=["testicle-pain"],
            men_what=["testicle"],
            men_with=["sudden-pain"],
            since="today",
            how_often="all-the-time",
            severity=9,
        ),
    },
    # Woman, 67: a curtain coming down over the vision of one eye since an hour ago.
    "V23": {
        "age": 67,
        "level": "emergency",
        "topics": None,
        "answers": _patient(
            reason=["eye"],
            urgent_now=["vision-loss"],
            eye_with=["curtain"],
            since="today",
            how_often="all-the-time",
            severity=3,
        ),
    },
    # Man, 41: in his own words: "my wife says I had a seizure in my sleep, never happened
    # before". Nothing on the checklists fits, so he ticks none of them.
    "V24": {
        "age": 41,
        "level": "emergency",
        "topics": None,
        "answers": _patient(
            reason=["other"],
            reason_other="Something happened in my sleep",
            reason_words="my wife says I had a seizure in my sleep, never happened before",
            since="today",
            how_often="once",
            severity=3,
        ),
    },
    # Woman, 55: on chemotherapy, temperature 38.1 C, feels unwell.
    "V25": {
        "age": 55,
        "level": "emergency",
        "topics": None,
        "answers": _patient(
            reason=["fever"],
            since="today",
            how_often="all-the-time",
            severity=5,
            fever=True,
            temperature=38.1,
            fever_with=["none"],
            conditions=["immune-weak"],
        ),
    },
    # Man, 59: in his own words: "took too many of my sleeping tablets on purpose". He picks
    # stress and low mood, and answers the mood questions without the self-harm item.
    "V26": {
        "age": 59,
        "level": "emergency",
        "topics": None,
        "answers": {
            **_patient(
                reason=["stress-mood"],
                reason_words="took too many of my sleeping tablets on purpose",
                mood_with=["low"],
                since="today",
                how_often="once",
                severity=6,
            ),
            **mood((2, 2, 1, 1, 1, 1, 1, 1, 0), (1, 1)),
        },
    },
    # Woman, 36: 32 weeks pregnant, blood pressure 165/112 at home, headache.
    "V27": {
        "age": 36,
        "level": "emergency",
        "topics": None,
        "answers": _patient(
            reason=["blood-pressure"],
            bp_systolic=165,
            bp_diastolic=112,
            bp_with=["headache"],
            since="today",
            how_often="all-the-time",
            severity=6,
            conditions=["pregnant"],
            pregnancy_weeks=32,
            pregnancy_with=["headache-vision", "bp-very-high"],
        ),
    },
    # Man, 74: takes a blood thinner; hit his head on a cupboard door this morning, now a
    # headache.
    "V28": {
        "age": 74,
        "level": "emergency",
        "topics": None,
        "answers": _patient(
            reason=["headache"],
            urgent_now=["head-injury"],
            head_injury_with=["blood-thinner", "headache"],
            headache_with=["head-injury"],
            headache_pattern="new",
            since="today",
            how_often="all-the-time",
            severity=5,
            medicines=["blood-thinner"],
        ),
    },
    # Woman, 50: belly pain for 2 days, constant, worse on the right below the ribs, fever
    # 38.4 C, vomited twice.
    "V29": {
        "age": 50,
        "level": "urgent",
        "topics": ["belly-pain"],
        "answers": _patient(
            reason=["belly-pain"],
            belly_where=["upper-right"],
            belly_with=["constant", "vomiting"],
            since="1-3-days",
            how_often="all-the-time",
            severity=7,
            fever=True,
            temperature=38.4,
            fever_with=["none"],
        ),
    },
    # Man, 64: takes a water pill; leg cramps and a fluttering, irregular heartbeat on and
    # off for a week.
    "V30": {
        "age": 64,
        "level": "urgent",
        "topics": ["muscle-spasms", "palpitations"],
        "answers": _patient(
            reason=["muscle-spasms", "palpitations"],
            spasm_where=["legs"],
            spasm_with=["none"],
            palpitations_with=["none"],
            palpitations_how="irregular",
            since="4-7-days",
            how_often="comes-and-goes",
            severity=4,
            conditions=["high-bp"],
            medicines=["water-pill"],
        ),
    },
    # Woman, 47: red, hot, swollen ankle since yesterday, no injury, no fever.
    "V31": {
        "age": 47,
        "level": "urgent",
        "topics": ["joint-pain"],
        "answers": _patient(
            reason=["joint-pain"],
            joint_where=["ankle-foot"],
            joint_with=["hot-swollen"],
            since="1-3-days",
            how_often="all-the-time",
            severity=7,
        ),
    },
    # Man, 69: wheezing and more breathless than usual for 2 days with his COPD; can talk in
    # full sentences.
    "V32": {
        "age": 69,
        "level": "urgent",
        "topics": ["breathing-problems"],
        "answers": _patient(
            reason=["breathing-problems"],
            breathing_with=["worse-than-usual"],
            breathing_what=["copd"],
            since="1-3-days",
            how_often="all-the-time",
            severity=6,
            smoking="past",
            conditions=["lung"],
        ),
    },
    # Woman, 44: periods so heavy she changes protection every hour, dizzy when she stands.
    "V33": {
        "age": 44,
        "level": "urgent",
        "topics": ["womens-health"],
        "answers": _patient(
            reason=["womens-health"],
            women_what=["heavy-periods"],
            women_with=["soaking", "dizzy"],
            since="1-3-days",
            how_often="all-the-time",
            severity=6,
        ),
    },
    # Man, 61: food sticking when he swallows for 3 weeks and has lost weight without trying.
    "V34": {
        "age": 61,
        "level": "soon",
        "topics": ["heartburn"],
        "answers": _patient(
            reason=["heartburn"],
            heartburn_with=["swallowing"],
            since="1-4-weeks",
            how_often="daily",
            severity=4,
            weight_loss=True,
        ),
    },
    # Woman, 34: vomiting and diarrhoea since yesterday, keeping small sips down, passing
    # urine.
    "V35": {
        "age": 34,
        "level": "routine",
        "topics": ["diarrhoea", "belly-pain"],
        "answers": _patient(
            reason=["diarrhoea", "belly-pain"],
            diarrhoea_with=["none"],
            belly_where=["no-pain"],
            belly_with=["vomiting"],
            since="1-3-days",
            how_often="comes-and-goes",
            severity=4,
        ),
    },
    # Man, 52: palpitations for a few seconds after coffee, no chest pain, no fainting, no
    # breathlessness.
    "V36": {
        "age": 52,
        "level": "routine",
        "topics": ["palpitations"],
        "answers": _patient(
            reason=["palpitations"],
            palpitations_with=["none"],
            palpitations_how="skipped",
            palpitations_trigger=["caffeine"],
            since="1-4-weeks",
            how_often="comes-and-goes",
            severity=2,
            caffeine="3-plus",
        ),
    },
    # Woman, 29: earache for 2 days after a cold, temperature 37.8 C, no swelling behind the
    # ear (under 38 C, so no fever by the questionnaire's definition).
    "V37": {
        "age": 29,
        "level": "routine",
        "topics": ["ear-nose-sinus"],
        "answers": _patient(
            reason=["ear-nose-sinus"],
            ens_what=["earache"],
            ens_with=["none"],
            since="1-3-days",
            how_often="all-the-time",
            severity=4,
        ),
    },
    # Man, 38: sneezing, runny nose and itchy eyes every spring.
    "V38": {
        "age": 38,
        "level": "routine",
        "topics": ["ear-nose-sinus"],
        "answers": _patient(
            reason=["ear-nose-sinus"],
            ens_what=["hay-fever", "blocked-nose"],
            ens_with=["none"],
            since="1-4-weeks",
            how_often="daily",
            severity=3,
        ),
    },
    # Woman, 51: night sweats, hot flushes and irregular periods for 4 months.
    "V39": {
        "age": 51,
        "level": "routine",
        "topics": ["womens-health"],
        "answers": _patient(
            reason=["womens-health"],
            women_what=["irregular", "menopause"],
            women_with=["none"],
            since="over-3-months",
            how_often="daily",
            severity=4,
        ),
    },
    # Man, 58: type 2 diabetes check-up, home sugar readings normal, feels well.
    "V40": {
        "age": 58,
        "level": "routine",
        "topics": ["diabetes"],
        "answers": _patient(
            reason=["diabetes"],
            diabetes_type="type-2",
            diabetes_with=["none"],
            since="over-3-months",
            severity=0,
            conditions=["diabetes"],
            medicines=["diabetes-other", "statin"],
        ),
    },
    # Woman, 27: in her own words: "no chest pain, no breathing problems, I just need my
    # inhaler renewed".
    "V41": {
        "age": 27,
        "level": "routine",
        "topics": ["breathing-problems"],
        "answers": _patient(
            reason=["breathing-problems"],
            reason_words="no chest pain, no breathing problems, I just need my inhaler renewed",
            breathing_with=["none"],
            breathing_what=["inhaler-renewal"],
            since="over-3-months",
            severity=0,
            conditions=["lung"],
        ),
    },
    # Man, 45: wants help to stop smoking.
    "V42": {
        "age": 45,
        "level": "routine",
        "topics": ["lifestyle"],
        "answers": _patient(
            reason=["lifestyle"],
            lifestyle_want=["stop-smoking"],
            lifestyle_with=["none"],
            since="over-3-months",
            severity=0,
            smoking="now",
        ),
    },
    # Woman, 33: sore red eye with sticky discharge, vision normal, no pain on light.
    "V43": {
        "age": 33,
        "level": "routine",
        "topics": ["eye"],
        "answers": _patient(
            reason=["eye"],
            eye_with=["sticky"],
            since="1-3-days",
            how_often="all-the-time",
            severity=3,
        ),
    },
    # Man, 70: swollen ankles on both sides for 3 weeks, worse in the evening, no
    # breathlessness.
    "V44": {
        "age": 70,
        "level": "soon",
        "topics": ["leg-swelling"],
        "answers": _patient(
            reason=["leg-swelling"],
            leg_swelling_side="both",
            leg_swelling_with=["none"],
            since="1-4-weeks",
            how_often="daily",
            severity=2,
        ),
    },
}
VIGNETTES |= SECOND_SET
