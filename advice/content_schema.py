"""Loading and checking the handout content (docs/content-format.md).

Content arrives either as YAML files in `advice/content/` or as the same
documents as dicts (the clinic's approved versions, from its database). Both
go through one validator, so a mistake is reported the same way wherever it
was made: a `ContentError` naming the file, the block and what is wrong.

Parsed libraries are cached: a directory by the names, sizes and modification
times of its files, documents by their content.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from advice.conditions import Condition, ConditionError, compile_condition
from advice.levels import TriageLevel

__all__ = [
    "CONTENT_DIR",
    "GLOBAL",
    "PLACEHOLDERS",
    "SELF_CARE_AREAS",
    "SUMMARY",
    "Block",
    "Cause",
    "ContentError",
    "Library",
    "RedFlag",
    "Reference",
    "SelfCare",
    "Topic",
    "default_library",
    "iter_conditions",
    "says_ask_first",
]

CONTENT_DIR = Path(__file__).resolve().parent / "content"
GLOBAL = "global"
GLOBAL_FILE = "_global.yaml"
# summary.yaml is the wording of the clinician's summary (advice/summary.py), not a handout
# topic: it is versioned with the content, checked against the questionnaire by
# tests/advice/test_summary.py, and not stored for approval (no patient reads it).
SUMMARY = "summary"
PLACEHOLDERS = frozenset({"emergency_number", "clinic_name", "crisis_line"})
SELF_CARE_AREAS = frozenset(
    {"food", "movement", "heat-cold", "sleep", "stress", "physio", "general"}
)
MIN_REFERENCES, MAX_REFERENCES = 2, 5

# The C build of PyYAML's safe loader, ten times faster, when it is installed.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_BRACED = re.compile(r"\{([^{}]*)\}")
_URL_IN_TEXT = re.compile(r"https?://|www\.", re.IGNORECASE)
_URL = re.compile(r"^https?://[^\s()<>\"']+$")
_DOSE = re.compile(r"\b\d+(?:[.,]\d+)?\s?(?:mg|mcg|µg|ml|mL|g|iu|IU|units)\b")
_ENDS_SENTENCE = re.compile(r"[.!?][\"')\]]?$")
# "Ask your clinic before you start any medicine": some sentence must say to
# ask (or check with) the clinic before taking anything.
_ASK_WORDS = re.compile(r"\b(ask|check with|talk to|speak to|call)\b", re.IGNORECASE)
_BEFORE = re.compile(r"\bbefore\b", re.IGNORECASE)
_CLINIC_WORDS = re.compile(
    r"\{clinic_name\}|\b(clinic|us|clinician|doctor|nurse|care team)\b", re.IGNORECASE
)

_TOPIC_KEYS = {
    "topic",
    "version",
    "title",
    "applies_when",
    "intro",
    "said",
    "causes",
    "self_care",
    "medicines",
    "visit",
    "red_flags",
    "get_care_now",
    "references",
}
_GLOBAL_KEYS = {
    "topic",
    "version",
    "title",
    "red_flags",
    "free_text",
    "closing",
    "get_care_now",
    "references",
}
_BLOCK_KEYS = {"id", "text", "when"}
_PHRASE = re.compile(r"^[a-z0-9' -]+$")


class ContentError(ValueError):
    """Content that the engine cannot use; says which file, which block and why."""

    def __init__(self, source: str, problem: str, block: str | None = None) -> None:
        self.source = source
        self.block = block
        self.problem = problem
        where = f"{source}: {block}" if block else source
        super().__init__(f"{where}: {problem}")


# --- the parsed content ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Reference:
    title: str
    url: str


@dataclass(frozen=True, slots=True)
class Block:
    id: str
    text: str
    when: Condition | None = None

    def shown(self, answers: Mapping[str, Any], age: int | None) -> bool:
        return self.when is None or self.when.holds(answers, age)


@dataclass(frozen=True, slots=True)
class Cause(Block):
    rank: int = 0
    boost: int = 0


@dataclass(frozen=True, slots=True)
class SelfCare(Block):
    area: str = "general"
    shared: str | None = None


@dataclass(frozen=True, slots=True)
class RedFlag:
    id: str
    level: TriageLevel
    when: Condition
    reason: str
    act: str
    source: Reference


@dataclass(frozen=True, slots=True)
class WordsRule:
    """A red flag read in the patient's own words (advice/screening.py).

    Fires when one of `phrases` is written and not denied, hypothetical or about someone else;
    when `with_phrases` is set, one of those must be written too, in the same answer.
    `phrases` match with small misspellings; `exact` ones only as written.
    """

    id: str
    level: TriageLevel
    phrases: tuple[str, ...]
    exact: tuple[str, ...]
    with_phrases: tuple[str, ...]
    reason: str
    act: str
    source: Reference


@dataclass(frozen=True, slots=True)
class FreeText:
    """Which free-text answers are read, and the rules read in them."""

    answers: tuple[str, ...] = ()
    rules: tuple[WordsRule, ...] = ()


@dataclass(frozen=True, slots=True)
class Topic:
    topic: str
    version: int
    title: str
    applies_when: Condition | None = None
    intro: tuple[Block, ...] = ()
    said: tuple[Block, ...] = ()
    causes: tuple[Cause, ...] = ()
    self_care: tuple[SelfCare, ...] = ()
    medicines: tuple[Block, ...] = ()
    visit: tuple[Block, ...] = ()
    red_flags: tuple[RedFlag, ...] = ()
    get_care_now: tuple[Block, ...] = ()
    references: tuple[Reference, ...] = ()
    closing: tuple[Block, ...] = ()
    free_text: FreeText = FreeText()
    source: str = ""

    @property
    def is_global(self) -> bool:
        return self.topic == GLOBAL

    def applies(self, answers: Mapping[str, Any], age: int | None) -> bool:
        return self.applies_when is not None and self.applies_when.holds(answers, age)


@dataclass(frozen=True, eq=False)
class Library:
    """Every topic plus the global safety checks and closing, validated."""

    global_topic: Topic
    topics: tuple[Topic, ...]
    _by_code: Mapping[str, Topic] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "_by_code", MappingProxyType({topic.topic: topic for topic in self.topics})
        )

    def __iter__(self) -> Iterator[Topic]:
        return iter(self.topics)

    def __len__(self) -> int:
        return len(self.topics)

    def __contains__(self, code: object) -> bool:
        return code in self._by_code

    def topic(self, code: str) -> Topic:
        if code == GLOBAL:
            return self.global_topic
        return self._by_code[code]

    @property
    def versions(self) -> dict[str, int]:
        """topic code -> version, the global content included."""
        return {t.topic: t.version for t in (self.global_topic, *self.topics)}

    def red_flags(self) -> Iterator[tuple[Topic, RedFlag]]:
        """Every red flag: the global ones first, then each topic's."""
        for topic in (self.global_topic, *self.topics):
            for flag in topic.red_flags:
                yield topic, flag

    @classmethod
    def from_directory(cls, path: str | Path | None = None) -> Library:
        """Load every `*.yaml` in `path` (default `advice/content/`).

        Cached until a file is added, removed or changed.
        """
        directory = Path(path) if path is not None else CONTENT_DIR
        directory = directory.resolve()
        if not directory.is_dir():
            raise ContentError(str(directory), "no such content directory")
        stats = [(path.name, path.stat()) for path in sorted(directory.glob("*.yaml"))]
        signature = tuple((name, stat.st_mtime_ns, stat.st_size) for name, stat in stats)
        return _load_directory(directory, signature)

    @classmethod
    def from_documents(cls, documents: Iterable[Mapping[str, Any]]) -> Library:
        """Build a library from parsed documents (e.g. approved versions from a database)."""
        documents = list(documents)
        try:
            key = json.dumps(documents, sort_keys=True)
        except (TypeError, ValueError):
            # Not plain JSON data (dates, sets...): validate it, uncached.
            return _build_library((_document_name(i, d), d) for i, d in enumerate(documents))
        return _load_documents(key)


def default_library() -> Library:
    return Library.from_directory(CONTENT_DIR)


@functools.lru_cache(maxsize=8)
def _load_directory(directory: Path, signature: tuple) -> Library:
    named = []
    for name, _mtime, _size in signature:
        path = directory / name
        source = _display_path(path)
        try:
            # A safe loader (C or pure Python), which bandit can't see through a variable.
            text = path.read_text(encoding="utf-8")
            document = yaml.load(text, Loader=_SafeLoader)  # noqa: S506  # nosec B506
        except yaml.YAMLError as error:
            raise ContentError(source, f"not valid YAML: {error}") from error
        expected = GLOBAL if name == GLOBAL_FILE else path.stem
        if isinstance(document, Mapping) and document.get("topic") != expected:
            raise ContentError(
                source,
                f"topic is {document.get('topic')!r} but the file name says {expected!r}",
            )
        named.append((source, document))
    if not named:
        raise ContentError(_display_path(directory), "holds no content files (*.yaml)")
    return _build_library(named)


@functools.lru_cache(maxsize=8)
def _load_documents(dumped: str) -> Library:
    documents = json.loads(dumped)
    return _build_library((_document_name(i, d), d) for i, d in enumerate(documents))


def _display_path(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _document_name(index: int, document: Any) -> str:
    if isinstance(document, Mapping) and document.get("topic"):
        return f"document {index} ({document['topic']} v{document.get('version', '?')})"
    return f"document {index}"


def _build_library(named_documents: Iterable[tuple[str, Any]]) -> Library:
    global_topic: Topic | None = None
    topics: dict[str, Topic] = {}
    flag_owner: dict[str, str] = {}
    for source, document in named_documents:
        if isinstance(document, Mapping) and document.get("topic") == SUMMARY:
            continue  # advice/summary.py reads and checks it
        topic = _parse_topic(document, source)
        if topic.is_global:
            if global_topic is not None:
                raise ContentError(source, f"a second global document ({global_topic.source})")
            global_topic = topic
        elif topic.topic in topics:
            raise ContentError(
                source, f"topic {topic.topic!r} is also in {topics[topic.topic].source}"
            )
        else:
            topics[topic.topic] = topic
        for flag in topic.red_flags:
            # Rule ids name flags in the clinic's queue, so they are unique library-wide.
            if flag.id in flag_owner:
                raise ContentError(
                    source, f"red flag id is also used in {flag_owner[flag.id]}", flag.id
                )
            flag_owner[flag.id] = source
        for rule in topic.free_text.rules:
            if rule.id in flag_owner:
                raise ContentError(
                    source, f"free-text rule id is also used in {flag_owner[rule.id]}", rule.id
                )
            flag_owner[rule.id] = source
    if global_topic is None:
        raise ContentError(
            "content", f"no global document ({GLOBAL_FILE}, topic: {GLOBAL}) was found"
        )
    return Library(global_topic=global_topic, topics=tuple(topics[c] for c in sorted(topics)))


# --- validation -------------------------------------------------------------------


class _Checker:
    """Validates one document; every error names the document and the block."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.ids: set[str] = set()

    def fail(self, problem: str, block: str | None = None) -> ContentError:
        return ContentError(self.source, problem, block)

    def text(self, value: Any, block: str, what: str = "text", *, sentence: bool = True) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(f"missing {what}", block)
        text = " ".join(value.split())
        for match in _BRACED.finditer(text):
            if match.group(1) not in PLACEHOLDERS:
                raise self.fail(
                    f"unknown placeholder {match.group(0)} in {what} "
                    f"(use {', '.join('{' + p + '}' for p in sorted(PLACEHOLDERS))})",
                    block,
                )
        if "{" in _BRACED.sub("", text) or "}" in _BRACED.sub("", text):
            raise self.fail(f"stray brace in {what}; braces only mark placeholders", block)
        if _URL_IN_TEXT.search(text):
            raise self.fail(f"a web address in {what}; addresses go in references", block)
        if _DOSE.search(text):
            raise self.fail(f"a dose in {what}; handouts name no doses", block)
        if sentence and not _ENDS_SENTENCE.search(text):
            raise self.fail(f"{what} must end with . ! or ? so it reads as a sentence", block)
        return text

    def block_id(self, raw: Mapping[str, Any], label: str) -> str:
        block_id = raw.get("id")
        if not isinstance(block_id, str) or not _ID.match(block_id):
            raise self.fail(
                f"id must be lower-case letters, digits and hyphens, got {block_id!r}", label
            )
        if block_id in self.ids:
            raise self.fail("duplicate id (ids are unique within a file)", block_id)
        self.ids.add(block_id)
        return block_id

    def rule_head(
        self, raw: Any, label: str, allowed: set[str], section: str
    ) -> tuple[str, TriageLevel]:
        """The id and level of a red flag or free-text rule, checked."""
        if not isinstance(raw, Mapping):
            raise self.fail(f"an entry of {section} is a mapping", label)
        rule_id = self.block_id(raw, label)
        unknown = sorted(set(raw) - allowed)
        if unknown:
            raise self.fail(f"unknown key {unknown[0]!r} in {section}", rule_id)
        level = raw.get("level")
        if level not in (TriageLevel.EMERGENCY, TriageLevel.URGENT, TriageLevel.SOON):
            raise self.fail(f"level must be emergency, urgent or soon, got {level!r}", rule_id)
        if "source" not in raw:
            raise self.fail("missing source {title, url}", rule_id)
        return rule_id, TriageLevel(level)

    def condition(self, spec: Any, block: str, key: str = "when") -> Condition:
        try:
            return compile_condition(spec, where=key)
        except ConditionError as error:
            raise self.fail(str(error), block) from None

    def blocks(
        self, document: Mapping[str, Any], section: str, extra: set[str] | None = None
    ) -> list[tuple[str, Mapping[str, Any], str, Condition | None]]:
        raw_blocks = document.get(section, [])
        if raw_blocks is None:
            raw_blocks = []
        if not isinstance(raw_blocks, list):
            raise self.fail(f"{section} must be a list of blocks")
        allowed = _BLOCK_KEYS | (extra or set())
        parsed = []
        for index, raw in enumerate(raw_blocks):
            label = f"{section}[{index}]"
            if not isinstance(raw, Mapping):
                raise self.fail("a block is a mapping with id and text", label)
            block_id = self.block_id(raw, label)
            unknown = sorted(set(raw) - allowed)
            if unknown:
                raise self.fail(f"unknown key {unknown[0]!r} in {section}", block_id)
            text = self.text(raw.get("text"), block_id)
            when = self.condition(raw["when"], block_id) if "when" in raw else None
            parsed.append((block_id, raw, text, when))
        return parsed

    def reference(self, raw: Any, label: str) -> Reference:
        if not isinstance(raw, Mapping) or set(raw) != {"title", "url"}:
            raise self.fail("a reference has exactly title and url", label)
        title = raw["title"]
        if not isinstance(title, str) or not title.strip():
            raise self.fail("missing reference title", label)
        url = raw["url"]
        if not isinstance(url, str) or not _URL.match(url):
            raise self.fail(f"reference url must be an http(s) address, got {url!r}", label)
        return Reference(title=" ".join(title.split()), url=url)


def _parse_topic(document: Any, source: str) -> Topic:
    check = _Checker(source)
    if not isinstance(document, Mapping):
        raise check.fail("a content document is a mapping (topic:, version:, title:, ...)")
    code = document.get("topic")
    if not isinstance(code, str) or not _ID.match(code):
        raise check.fail(f"topic must be a lower-case code, got {code!r}")
    is_global = code == GLOBAL
    allowed = _GLOBAL_KEYS if is_global else _TOPIC_KEYS
    unknown = sorted(set(document) - allowed)
    if unknown:
        raise check.fail(f"unknown key {unknown[0]!r} (allowed: {', '.join(sorted(allowed))})")
    version = document.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise check.fail(f"version must be a whole number from 1, got {version!r}")
    title = check.text(document.get("title"), "title", "title", sentence=False)

    def plain(section: str) -> tuple[Block, ...]:
        return tuple(
            Block(id=block_id, text=text, when=when)
            for block_id, _, text, when in check.blocks(document, section)
        )

    applies_when = None
    if not is_global:
        if "applies_when" not in document:
            raise check.fail("missing applies_when (when this topic goes into the handout)")
        applies_when = check.condition(document["applies_when"], "applies_when", "applies_when")

    intro = plain("intro")
    said = plain("said")
    causes = _parse_causes(check, document)
    self_care = _parse_self_care(check, document)
    medicines = plain("medicines")
    visit = plain("visit")
    red_flags = _parse_red_flags(check, document)
    free_text = _parse_free_text(check, document)
    get_care_now = plain("get_care_now")
    closing = plain("closing")

    raw_references = document.get("references") or []
    if not isinstance(raw_references, list):
        raise check.fail("references must be a list of {title, url}")
    references = tuple(
        check.reference(raw, f"references[{index}]") for index, raw in enumerate(raw_references)
    )

    if is_global:
        if not closing:
            raise check.fail("missing closing (the blocks every handout ends with)")
        if not any(
            "{emergency_number}" in block.text and block.when is None for block in get_care_now
        ):
            raise check.fail(
                "get_care_now needs a line with {emergency_number} and no when: "
                "every handout must say when to call it"
            )
        if len(references) > MAX_REFERENCES:
            raise check.fail(f"{len(references)} references; at most {MAX_REFERENCES}")
    else:
        if not intro:
            raise check.fail("missing intro (what this can be)")
        if not MIN_REFERENCES <= len(references) <= MAX_REFERENCES:
            raise check.fail(
                f"{len(references)} references; a topic cites "
                f"{MIN_REFERENCES} to {MAX_REFERENCES} public sources"
            )
        if medicines and not any(
            block.when is None and says_ask_first(block.text) for block in medicines
        ):
            raise check.fail(
                "medicines must say, in a block without when, to ask your clinic before "
                "starting any medicine, even one you can buy without a prescription",
                "medicines",
            )

    return Topic(
        topic=code,
        version=version,
        title=title,
        applies_when=applies_when,
        intro=intro,
        said=said,
        causes=causes,
        self_care=self_care,
        medicines=medicines,
        visit=visit,
        red_flags=red_flags,
        get_care_now=get_care_now,
        references=references,
        closing=closing,
        free_text=free_text,
        source=source,
    )


def says_ask_first(text: str) -> bool:
    """Whether `text` tells the patient to ask the clinic before taking a medicine."""
    for sentence in re.split(r"(?<=[.!?])\s+", text):
        if (
            _ASK_WORDS.search(sentence)
            and _BEFORE.search(sentence)
            and _CLINIC_WORDS.search(sentence)
        ):
            return True
    return False


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _parse_causes(check: _Checker, document: Mapping[str, Any]) -> tuple[Cause, ...]:
    causes = []
    for block_id, raw, text, when in check.blocks(document, "causes", {"rank", "boost"}):
        rank = raw.get("rank")
        if not _number(rank):
            raise check.fail(f"rank must be a number, got {rank!r}", block_id)
        boost = raw.get("boost", 0)
        if not _number(boost):
            raise check.fail(f"boost must be a number, got {boost!r}", block_id)
        if boost and when is None:
            raise check.fail("boost needs a when (it is added when the when holds)", block_id)
        causes.append(Cause(id=block_id, text=text, when=when, rank=rank, boost=boost))
    return tuple(causes)


def _parse_self_care(check: _Checker, document: Mapping[str, Any]) -> tuple[SelfCare, ...]:
    steps = []
    for block_id, raw, text, when in check.blocks(document, "self_care", {"area", "shared"}):
        area = raw.get("area")
        if area not in SELF_CARE_AREAS:
            raise check.fail(
                f"area must be one of {', '.join(sorted(SELF_CARE_AREAS))}, got {area!r}",
                block_id,
            )
        shared = raw.get("shared")
        if shared is not None and (not isinstance(shared, str) or not _ID.match(shared)):
            raise check.fail(f"shared must be a lower-case key, got {shared!r}", block_id)
        steps.append(SelfCare(id=block_id, text=text, when=when, area=area, shared=shared))
    return tuple(steps)


def _phrases(check: _Checker, raw: Any, block: str, what: str) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(p, str) and p.strip() for p in raw):
        raise check.fail(f"{what} must be a list of words or phrases", block)
    phrases = tuple(" ".join(p.lower().split()) for p in raw)
    bad = [p for p in phrases if not _PHRASE.match(p)]
    if bad:
        raise check.fail(f"{what}: {bad[0]!r} is not plain words (letters, digits, ' and -)", block)
    return phrases


def _parse_free_text(check: _Checker, document: Mapping[str, Any]) -> FreeText:
    raw = document.get("free_text")
    if raw is None:
        return FreeText()
    if not isinstance(raw, Mapping) or set(raw) - {"answers", "rules"}:
        raise check.fail("free_text has answers: [linkIds] and rules: [...]", "free_text")
    answers = raw.get("answers") or []
    if not isinstance(answers, list) or not all(
        isinstance(a, str) and _ID.match(a) for a in answers
    ):
        raise check.fail("free_text answers must be a list of linkIds", "free_text")
    allowed = {"id", "level", "phrases", "exact", "with", "reason", "act", "source"}
    rules = []
    for index, rule in enumerate(raw.get("rules") or []):
        label = f"free_text.rules[{index}]"
        rule_id, level = check.rule_head(rule, label, allowed, "free_text rules")
        phrases = _phrases(check, rule.get("phrases"), rule_id, "phrases")
        exact = _phrases(check, rule.get("exact"), rule_id, "exact")
        if not phrases and not exact:
            raise check.fail("a free-text rule needs phrases or exact", rule_id)
        rules.append(
            WordsRule(
                id=rule_id,
                level=level,
                phrases=phrases,
                exact=exact,
                with_phrases=_phrases(check, rule.get("with"), rule_id, "with"),
                reason=check.text(rule.get("reason"), rule_id, "reason", sentence=False),
                act=check.text(rule.get("act"), rule_id, "act"),
                source=check.reference(rule["source"], rule_id),
            )
        )
    return FreeText(answers=tuple(answers), rules=tuple(rules))


def _parse_red_flags(check: _Checker, document: Mapping[str, Any]) -> tuple[RedFlag, ...]:
    raw_flags = document.get("red_flags") or []
    if not isinstance(raw_flags, list):
        raise check.fail("red_flags must be a list")
    allowed = {"id", "level", "when", "reason", "act", "source"}
    flags = []
    for index, raw in enumerate(raw_flags):
        label = f"red_flags[{index}]"
        flag_id, level = check.rule_head(raw, label, allowed, "red_flags")
        if "when" not in raw:
            raise check.fail("missing when (a red flag fires on answers)", flag_id)
        when = check.condition(raw["when"], flag_id)
        reason = check.text(raw.get("reason"), flag_id, "reason", sentence=False)
        act = check.text(raw.get("act"), flag_id, "act")
        source = check.reference(raw["source"], flag_id)
        flags.append(
            RedFlag(
                id=flag_id,
                level=level,
                when=when,
                reason=reason,
                act=act,
                source=source,
            )
        )
    return tuple(flags)


def iter_conditions(topic: Topic) -> Iterator[tuple[str, str, Condition]]:
    """(section, block id, condition) for every condition a topic holds."""
    if topic.applies_when is not None:
        yield "applies_when", "applies_when", topic.applies_when
    sections: Sequence[tuple[str, Sequence[Block]]] = (
        ("intro", topic.intro),
        ("said", topic.said),
        ("causes", topic.causes),
        ("self_care", topic.self_care),
        ("medicines", topic.medicines),
        ("visit", topic.visit),
        ("get_care_now", topic.get_care_now),
        ("closing", topic.closing),
    )
    for section, blocks in sections:
        for block in blocks:
            if block.when is not None:
                yield section, block.id, block.when
    for flag in topic.red_flags:
        yield "red_flags", flag.id, flag.when
