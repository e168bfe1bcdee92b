"""Every answer a content file names is one the questionnaire asks (docs/answers.md).

A rule that names a linkId or a code the questionnaire never produces can never fire: for a
red flag that is a missed emergency, so the content and the vocabulary must agree exactly.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.advice.support import vocabulary

CONTENT = Path(__file__).resolve().parents[2] / "advice" / "content"
CONTEXT_KEYS = {"age"}


def conditions(node: Any):
    """Every `{q: ...}` mapping anywhere in a content document."""
    if isinstance(node, dict):
        if "q" in node:
            yield node
        for value in node.values():
            yield from conditions(value)
    elif isinstance(node, list):
        for value in node:
            yield from conditions(value)


def problems(path: Path) -> list[str]:
    items = vocabulary()
    found = []
    for condition in conditions(yaml.safe_load(path.read_text(encoding="utf-8"))):
        link_id = condition["q"]
        if link_id not in items:
            found.append(f"{link_id}: not in docs/answers.md")
            continue
        codes = items[link_id].codes
        named = []
        for key in ("has", "is", "is_not"):
            if isinstance(condition.get(key), str):
                named.append(condition[key])
        named += list(condition.get("has_any") or [])
        for code in named:
            if codes and code not in codes:
                found.append(f"{link_id}: no code {code!r}")
    return found


@pytest.mark.parametrize("path", sorted(CONTENT.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_answer_a_content_file_names_is_asked(path):
    assert problems(path) == []


def test_a_misspelt_code_is_caught(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "red_flags:\n  - when: {all: [{q: belly-with, has: severe-sudenn}, {q: nope, is: x}]}\n"
    )
    assert problems(bad) == [
        "belly-with: no code 'severe-sudenn'",
        "nope: not in docs/answers.md",
    ]
