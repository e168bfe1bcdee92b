"""Helpers shared by the advice tests (plain functions, so no conftest is needed).

The advice tests run with or without pytest-django:
`.venv/bin/pytest tests/advice -p no:django --noconftest` needs no settings.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from advice import HandoutContext, Library

ROOT = Path(__file__).resolve().parents[2]
FIXTURE_LIBRARY = Path(__file__).resolve().parent / "fixtures" / "library"
ANSWERS_DOC = ROOT / "docs" / "answers.md"
LETTER = Path("/work/shared/seed/muscle-spasms-letter.txt")

CONTEXT = HandoutContext(clinic_name="Riverside Clinic", emergency_number="911", crisis_line="988")


def fixture_library() -> Library:
    return Library.from_directory(FIXTURE_LIBRARY)


def fixture_documents() -> dict[str, dict[str, Any]]:
    """The fixture library as documents (file name -> parsed YAML), fresh copies."""
    return copy.deepcopy(_fixture_documents())


@cache
def _fixture_documents() -> dict[str, dict[str, Any]]:
    return {
        path.name: yaml.load(path.read_text("utf-8"), Loader=yaml.CSafeLoader)  # noqa: S506
        for path in sorted(FIXTURE_LIBRARY.glob("*.yaml"))
    }


def write_library(directory: Path, documents: dict[str, dict[str, Any]]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, document in documents.items():
        text = yaml.dump(document, Dumper=yaml.CSafeDumper, sort_keys=False)
        (directory / name).write_text(text, "utf-8")
    return directory


# --- the answer vocabulary (docs/answers.md) -----------------------------------------


@dataclass(frozen=True)
class Item:
    link_id: str
    kind: str  # boolean, choice, integer, decimal, string, text, date, score, total
    repeats: bool = False
    codes: tuple[str, ...] = ()
    low: float | None = None
    high: float | None = None


_ROW = re.compile(r"^\|\s*`([a-z0-9-]+)`\s*\|([^|]*)\|([^|]*)\|\s*$")
_RANGE = re.compile(r"(\d+(?:\.\d+)?)\s*-\s*(\d+(?:\.\d+)?)")


@cache
def vocabulary() -> dict[str, Item]:
    """Every linkId docs/answers.md names, with its type and codes."""
    items: dict[str, Item] = {}
    for line in ANSWERS_DOC.read_text("utf-8").splitlines():
        match = _ROW.match(line)
        if not match:
            continue
        link_id, kind_text, codes_text = match.groups()
        kind_text = kind_text.strip()
        kind = kind_text.split(";")[0].split(",")[0].split()[0]
        # Parentheses explain a code, or say when the item is asked; neither is a code.
        codes = tuple(re.findall(r"`([a-z0-9-]+)`", re.sub(r"\([^)]*\)", "", codes_text)))
        low = high = None
        if kind in ("integer", "decimal"):
            found = _RANGE.search(kind_text) or _RANGE.search(codes_text)
            if found:
                low, high = float(found.group(1)), float(found.group(2))
        items[link_id] = Item(link_id, kind, "repeats" in kind_text, codes, low, high)
    for number in range(1, 10):
        items[f"phq9-{number}"] = Item(f"phq9-{number}", "score", low=0, high=3)
    for number in range(1, 8):
        items[f"gad7-{number}"] = Item(f"gad7-{number}", "score", low=0, high=3)
    items["phq2-total"] = Item("phq2-total", "total", low=0, high=6)
    items["gad2-total"] = Item("gad2-total", "total", low=0, high=6)
    items["phq9-total"] = Item("phq9-total", "total", low=0, high=27)
    items["gad7-total"] = Item("gad7-total", "total", low=0, high=21)
    items["self-harm-plan"] = Item("self-harm-plan", "boolean")
    items["self-harm-intent"] = Item("self-harm-intent", "boolean")
    return items


def vocabulary_codes() -> dict[str, tuple[str, ...]]:
    """linkId -> codes, for `example_answers(vocabulary=...)`."""
    return {link_id: item.codes for link_id, item in vocabulary().items() if item.codes}


def vocabulary_problems(answers: dict[str, Any]) -> list[str]:
    """What in `answers` docs/answers.md does not allow (empty when all is well)."""
    items = vocabulary()
    problems = []
    for link_id, value in answers.items():
        item = items.get(link_id)
        if item is None:
            problems.append(f"{link_id}: not in docs/answers.md")
            continue
        if item.kind == "boolean":
            ok = isinstance(value, bool)
        elif item.kind in ("integer", "score", "total"):
            ok = isinstance(value, int) and not isinstance(value, bool)
            if ok and item.low is not None:
                ok = item.low <= value <= item.high
        elif item.kind == "decimal":
            ok = isinstance(value, float) and (item.low is None or item.low <= value <= item.high)
        elif item.kind == "choice" and item.repeats:
            ok = (
                isinstance(value, list)
                and bool(value)
                and all(code in item.codes for code in value)
                and ("none" not in value or value == ["none"])
            )
        elif item.kind == "choice":
            ok = isinstance(value, str) and value in item.codes
        else:  # string, text, date
            ok = isinstance(value, str) and bool(value)
        if not ok:
            problems.append(f"{link_id}: {value!r} is not a valid {item.kind} answer")
    return problems


# --- the letter -----------------------------------------------------------------------


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower().replace("’", "'"))


def shared_runs(text: str, other: str, length: int = 8) -> set[tuple[str, ...]]:
    """Runs of `length` words that appear in both texts."""

    def runs(source: str) -> set[tuple[str, ...]]:
        tokens = words(source)
        return {tuple(tokens[i : i + length]) for i in range(len(tokens) - length + 1)}

    return runs(text) & runs(other)
