"""docs/clinical-safety.md: its rule table is the content's, and its evidence exists."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from advice.content_schema import Library
from advice.safety_case import BEGIN, DOCUMENT, END, rules_table, with_table

ROOT = Path(__file__).resolve().parents[2]


def test_the_rule_table_matches_the_content():
    document = DOCUMENT.read_text(encoding="utf-8")
    assert with_table(document, Library.from_directory()) == document, (
        "run python manage.py clinical_safety --write"
    )


def test_every_rule_is_listed_with_its_level_and_source():
    library = Library.from_directory()
    table = rules_table(library)
    ids = [flag.id for _, flag in library.red_flags()]
    ids += [rule.id for rule in library.global_topic.free_text.rules]
    for rule_id in ids:
        assert f"`{rule_id}`" in table
    assert table.count("\n| ") == len(ids) + 1  # the header row, then one row a rule
    assert re.search(r"\| emergency \| global \(\d+\) \| `chest-pain-heart` \|", table)


def test_a_drifted_table_is_caught_and_rewritten(tmp_path, monkeypatch):
    document = DOCUMENT.read_text(encoding="utf-8")
    stale = tmp_path / "clinical-safety.md"
    stale.write_text(document.replace("`chest-pain-heart`", "`old-rule`"), encoding="utf-8")
    monkeypatch.setattr("advice.management.commands.clinical_safety.DOCUMENT", stale)
    with pytest.raises(CommandError, match="out of date"):
        call_command("clinical_safety", stdout=io.StringIO())
    call_command("clinical_safety", "--write", stdout=io.StringIO())
    assert stale.read_text(encoding="utf-8") == document


def test_lost_markers_are_an_error(tmp_path, monkeypatch):
    broken = tmp_path / "clinical-safety.md"
    broken.write_text(DOCUMENT.read_text(encoding="utf-8").replace(END, ""), encoding="utf-8")
    monkeypatch.setattr("advice.management.commands.clinical_safety.DOCUMENT", broken)
    with pytest.raises(CommandError, match="lost its rule-table markers"):
        call_command("clinical_safety", stdout=io.StringIO())
    assert BEGIN in broken.read_text(encoding="utf-8")


def test_the_evidence_the_hazard_log_names_exists():
    document = DOCUMENT.read_text(encoding="utf-8").split(BEGIN)[0]
    paths = set(re.findall(r"`((?:tests|advice|intake|clinic|docs)/[\w/.-]+)`", document))
    assert paths
    for path in paths:
        assert (ROOT / path).exists(), path
    tests = set(re.findall(r"`(test_[a-z0-9_]+)`", document))
    assert tests
    source = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "tests").rglob("test_*.py"))
    for name in tests:
        assert f"def {name}(" in source, name
