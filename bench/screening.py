"""What reading the patient's own words adds to a submit (the issue's goal: under 5 ms).

    .venv/bin/python bench/screening.py [--rounds N]

Runs, in one process, the submit's evaluation (triage and handout, `advice.evaluate`) for every
vignette twice: once with its free-text answers removed, once with them and, where it had
none, with a typical sentence of the patient's own words added. Prints the median and 95th
percentile of each, their ratio and the difference, and the one-off cost of building the
medspaCy pipeline (paid once per process, on the first answer it reads).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings.test")

import django  # noqa: E402

django.setup()

from advice import Library, evaluate  # noqa: E402
from tests.advice.support import CONTEXT  # noqa: E402
from tests.vignette_answers import VIGNETTES  # noqa: E402

WORDS = (
    "It started on Monday after work. I have had it before, but not this bad, and my mother "
    "says I should get it checked. No chest pain and no trouble breathing."
)
FREE_TEXT = ("reason-words", "reason-other")


def timed(answers, age, library) -> float:
    start = time.perf_counter()
    evaluate(answers, age=age, library=library, context=CONTEXT)
    return (time.perf_counter() - start) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=30)
    rounds = parser.parse_args().rounds
    library = Library.from_directory()
    start = time.perf_counter()
    evaluate({"reason-words": "warm-up"}, library=library, context=CONTEXT)
    first = (time.perf_counter() - start) * 1000
    without, with_words = [], []
    for _ in range(rounds):
        for case in VIGNETTES.values():
            plain = {k: v for k, v in case["answers"].items() if k not in FREE_TEXT}
            worded = {**case["answers"]}
            worded.setdefault("reason-words", WORDS)
            without.append(timed(plain, case["age"], library))
            with_words.append(timed(worded, case["age"], library))

    def summary(values):
        values = sorted(values)
        return statistics.median(values), values[int(len(values) * 0.95)]

    (m0, p0), (m1, p1) = summary(without), summary(with_words)
    print(f"{len(without)} evaluations each ({len(VIGNETTES)} vignettes x {rounds} rounds)")
    print(f"without free text: median {m0:.2f} ms, p95 {p0:.2f} ms")
    print(f"with free text:    median {m1:.2f} ms, p95 {p1:.2f} ms")
    print(f"added by screening: median {m1 - m0:.2f} ms, p95 {p1 - p0:.2f} ms, ratio {m1 / m0:.2f}")
    print(f"building the pipeline, once per process: {first:.0f} ms")


if __name__ == "__main__":
    main()
