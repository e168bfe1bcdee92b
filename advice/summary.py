"""The clinician's pre-visit summary: answers in, short lines in clinician language out.

Every word comes from advice/content/summary.yaml, the reviewed wording: a phrase per answer
code, put together into lines ("Onset 1-3 days ago; intermittent; severity 6/10"). The engine
adds only the joins, the numbers the patient gave, the totals of the PHQ and GAD items, and
the patient's own words, verbatim, in quotes. A line is written only from answers that are
present, and names them (`SummaryLine.sources`), so each one can be traced back.

Pertinent negatives come only from a question that was asked and answered: a checklist where
the patient ticked "none of these" becomes "denies" and every item it asked; a "no" to a
yes/no question is said as such. An item left unticked is never called a denial.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from advice.content_schema import _DOSE, CONTENT_DIR, SUMMARY, ContentError, _display_path

__all__ = [
    "SUMMARY_FILE",
    "Summary",
    "SummaryLibrary",
    "SummaryLine",
    "SummarySection",
    "Wording",
    "default_summary_library",
    "summarize",
]

SUMMARY_FILE = CONTENT_DIR / "summary.yaml"

_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_PLACEHOLDER = re.compile(r"\{([a-z0-9-]+)\}")
_URL = re.compile(r"^https?://[^\s()<>\"']+$")
# Plain text for the note: no HTML tags, no markdown, no URLs in the wording.
_MARKUP = re.compile(r"<[a-zA-Z/!]|[*_#`|]|https?://|www\.", re.IGNORECASE)
_PART_KINDS = ("codes", "checklist", "if_yes", "number", "words")
NONE = "none"
SCORE_MAX = 3  # each PHQ and GAD item: 0 not at all ... 3 nearly every day


# --- the summary ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SummaryLine:
    text: str
    sources: tuple[str, ...]  # the linkIds the line was built from, all answered


@dataclass(frozen=True, slots=True)
class SummarySection:
    heading: str
    lines: tuple[SummaryLine, ...]


@dataclass(frozen=True)
class Summary:
    """The sections that have something to say, in order; `version` is the wording's."""

    title: str
    sections: tuple[SummarySection, ...]
    version: int
    age: int | None = None

    @property
    def lines(self) -> tuple[SummaryLine, ...]:
        return tuple(line for section in self.sections for line in section.lines)

    def section(self, heading: str) -> SummarySection | None:
        return next((s for s in self.sections if s.heading == heading), None)

    def as_text(self) -> str:
        """Plain text for the record: the title, then each heading and its "- " lines.

        The patient's words keep their line breaks, indented under their line.
        """
        blocks = [self.title if self.age is None else f"{self.title}, age {self.age}"]
        for section in self.sections:
            lines = ["- " + "\n  ".join(line.text.splitlines()) for line in section.lines]
            blocks.append("\n".join([section.heading, *lines]))
        return "\n\n".join(blocks) + "\n"


# --- the wording ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Wording:
    """How the summary reads one answer: its kind, and a phrase per code.

    kind is choice, checklist, boolean, number, words, score or total; a boolean's phrases
    are keyed True and False.
    """

    kind: str
    phrases: Mapping[Any, str]


@dataclass(frozen=True, slots=True)
class _Part:
    q: str
    kind: str
    phrases: Mapping[Any, str]
    template: str = "{items}"
    none: str = ""
    also: tuple[str, ...] = ()  # number: the other readings the template names
    alone: str | None = None
    unless: str | None = None


@dataclass(frozen=True, slots=True)
class _Line:
    id: str
    section: str
    label: str | None
    parts: tuple[_Part, ...]


@dataclass(frozen=True, slots=True)
class _Instrument:
    name: str
    items: tuple[str, ...]
    total: str | None
    bands: tuple[tuple[int, str], ...] = ()  # (lowest total, band), highest first
    positive_from: int | None = None
    positive: str = ""
    negative: str = ""

    @property
    def maximum(self) -> int:
        return SCORE_MAX * len(self.items)


@dataclass(frozen=True, slots=True)
class _ItemNine:
    q: str
    frequency: Mapping[int, str]
    above_zero: str
    zero: str
    parts: tuple[_Part, ...]


@dataclass(frozen=True, eq=False)
class SummaryLibrary:
    """summary.yaml, validated: the sections, the line templates and the scores."""

    version: int
    title: str
    sections: tuple[tuple[str, str], ...]  # (id, heading)
    lines: tuple[_Line, ...]
    score_section: str
    score_template: str
    instruments: tuple[_Instrument, ...]
    item9: _ItemNine | None
    wording: Mapping[str, Wording]  # linkId -> how it is read
    source: str

    @classmethod
    def from_file(cls, path: str | Path | None = None) -> SummaryLibrary:
        """Load summary.yaml (default advice/content/summary.yaml); cached until it changes."""
        path = (Path(path) if path is not None else SUMMARY_FILE).resolve()
        try:
            stat = path.stat()
        except OSError as error:
            raise ContentError(_display_path(path), f"cannot read: {error}") from None
        return _load_file(path, stat.st_mtime_ns, stat.st_size)

    @classmethod
    def from_document(cls, document: Any, *, source: str = "summary document") -> SummaryLibrary:
        """Build from a parsed document (e.g. an approved version from the database)."""
        return _parse(document, source)


def default_summary_library() -> SummaryLibrary:
    return SummaryLibrary.from_file(SUMMARY_FILE)


@functools.lru_cache(maxsize=8)
def _load_file(path: Path, _mtime: int, _size: int) -> SummaryLibrary:
    source = _display_path(path)
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise ContentError(source, f"not valid YAML: {error}") from error
    return _parse(document, source)


# --- summarizing ---------------------------------------------------------------------


def summarize(
    answers: Mapping[str, Any],
    *,
    age: int | None = None,
    library: SummaryLibrary | None = None,
) -> Summary:
    """The pre-visit summary of one response's answers (in advice format, docs/answers.md).

    `library` defaults to advice/content/summary.yaml; `age` only goes into the title.
    """
    library = library if library is not None else default_summary_library()
    if not isinstance(library, SummaryLibrary):
        raise TypeError(f"library is the summary wording (SummaryLibrary), not {library!r}")
    found: dict[str, list[SummaryLine]] = {section: [] for section, _ in library.sections}
    for line in library.lines:
        rendered = _render_line(line, answers)
        if rendered is not None:
            found[line.section].append(rendered)
    found[library.score_section].extend(_score_lines(library, answers))
    sections = tuple(
        SummarySection(heading=heading, lines=tuple(found[section]))
        for section, heading in library.sections
        if found[section]
    )
    return Summary(title=library.title, sections=sections, version=library.version, age=age)


def _render_line(line: _Line, answers: Mapping[str, Any]) -> SummaryLine | None:
    texts: list[str] = []
    sources: list[str] = []
    for part in line.parts:
        rendered = _render_part(part, answers)
        if rendered is not None:
            texts.append(rendered[0])
            sources.extend(s for s in rendered[1] if s not in sources)
    if not texts:
        return None
    body = "; ".join(texts)
    text = f"{line.label}: {body}" if line.label else body[:1].upper() + body[1:]
    return SummaryLine(text=text, sources=tuple(sources))


def _render_part(part: _Part, answers: Mapping[str, Any]) -> tuple[str, tuple[str, ...]] | None:
    value = answers.get(part.q)
    if part.kind in ("choice", "checklist"):
        codes = _codes(value)
        if not codes:
            return None
        if part.kind == "checklist" and codes == [NONE]:
            return _fill(part.none, items=", ".join(part.phrases.values())), (part.q,)
        if part.kind == "checklist":
            codes = [code for code in codes if code != NONE]
        return _fill(part.template, items=", ".join(_phrases(part, codes))), (part.q,)
    if part.kind == "boolean":
        text = part.phrases.get(value) if isinstance(value, bool) else None
        return None if text is None else (text, (part.q,))
    if part.kind == "number":
        number = _number(value)
        if number is None or (part.unless and _number(answers.get(part.unless)) is not None):
            return None
        others = {q: _number(answers.get(q)) for q in part.also}
        if all(reading is not None for reading in others.values()):
            return _fill(part.template, value=number, **others), (part.q, *part.also)
        return (_fill(part.alone, value=number), (part.q,)) if part.alone else None
    if isinstance(value, str) and value.strip():
        return f'"{value.strip()}"', (part.q,)
    return None


def _codes(value: Any) -> list[str]:
    if isinstance(value, str) and value:
        return [value]
    if isinstance(value, list | tuple):
        return [code for code in value if isinstance(code, str) and code]
    return []


def _phrases(part: _Part, codes: Sequence[str]) -> list[str]:
    """The phrases of the codes ticked, in the questionnaire's order.

    A code with no phrase (an answer from a questionnaire newer or older than the wording) is
    shown as it is rather than dropped: a ticked symptom must never vanish from the summary.
    """
    known = [phrase for code, phrase in part.phrases.items() if code in codes]
    return [*known, *(f"unlisted answer '{code}'" for code in codes if code not in part.phrases)]


def _number(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return str(value) if isinstance(value, int) else f"{value:.1f}"


def _fill(template: str, **values: Any) -> str:
    return _PLACEHOLDER.sub(lambda match: str(values[match.group(1)]), template)


def _score_lines(library: SummaryLibrary, answers: Mapping[str, Any]) -> list[SummaryLine]:
    lines = []
    item9 = library.item9
    score = _score(answers.get(item9.q)) if item9 is not None else None
    if item9 is not None and score is not None:
        if score == 0:
            texts = [item9.zero]
        else:
            texts = [_fill(item9.above_zero, score=score, frequency=item9.frequency[score])]
        sources = [item9.q]
        for part in item9.parts:
            rendered = _render_part(part, answers)
            if rendered is not None:
                texts.append(rendered[0])
                sources.extend(rendered[1])
        lines.append(SummaryLine(text="; ".join(texts), sources=tuple(sources)))
    for instrument in library.instruments:
        total, sources = _total(instrument, answers)
        if total is None:
            continue
        if instrument.positive_from is not None:
            screen = total >= instrument.positive_from
            result = instrument.positive if screen else instrument.negative
        else:
            result = next(band for lowest, band in instrument.bands if total >= lowest)
        text = _fill(
            library.score_template,
            name=instrument.name,
            total=total,
            max=instrument.maximum,
            result=result,
        )
        lines.append(SummaryLine(text=text, sources=sources))
    return lines


def _score(value: Any) -> int | None:
    ok = isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= SCORE_MAX
    return value if ok else None


def _total(instrument: _Instrument, answers: Mapping[str, Any]) -> tuple[int | None, tuple]:
    """The sum of the items when all are answered, else the questionnaire's own total."""
    scores = [_score(answers.get(item)) for item in instrument.items]
    given = answers.get(instrument.total) if instrument.total is not None else None
    if isinstance(given, bool) or not isinstance(given, int) or given > instrument.maximum:
        given = None
    if all(score is not None for score in scores):
        extra = (instrument.total,) if given is not None else ()
        return sum(scores), (*instrument.items, *extra)
    if given is not None and given >= 0:
        return given, (instrument.total,)
    return None, ()


# --- validation ----------------------------------------------------------------------


class _Reader:
    """Checks one document; every error names the file and the key."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.wording: dict[str, Wording] = {}

    def fail(self, problem: str, key: str | None = None) -> ContentError:
        return ContentError(self.source, problem, key)

    def mapping(self, raw: Any, key: str, allowed: set[str], required: set[str]) -> Mapping:
        if not isinstance(raw, Mapping):
            raise self.fail("must be a mapping", key)
        unknown = sorted(str(k) for k in set(raw) - allowed)
        if unknown:
            raise self.fail(
                f"unknown key {unknown[0]!r} (allowed: {', '.join(sorted(allowed))})", key
            )
        missing = sorted(required - set(raw))
        if missing:
            raise self.fail(f"missing {missing[0]!r}", key)
        return raw

    def text(self, raw: Any, key: str, *, phrase: bool = False, allowed: set | None = None) -> str:
        if not isinstance(raw, str) or not raw.strip():
            raise self.fail("must be some text", key)
        text = " ".join(raw.split())
        if phrase and ("," in text or ";" in text):
            raise self.fail(f"{text!r}: a phrase is one item of a list, so no , or ;", key)
        if _MARKUP.search(text):
            raise self.fail(f"{text!r}: plain text only (no HTML, markdown or web address)", key)
        if _DOSE.search(text):
            raise self.fail(f"{text!r}: a dose; the summary names no doses", key)
        names = set(_PLACEHOLDER.findall(text))
        if "{" in _PLACEHOLDER.sub("", text) or "}" in _PLACEHOLDER.sub("", text):
            raise self.fail(f"{text!r}: stray brace; braces only mark placeholders", key)
        if allowed is not None and not names <= allowed:
            raise self.fail(f"{text!r}: unknown placeholder {{{sorted(names - allowed)[0]}}}", key)
        if allowed is None and names:
            raise self.fail(f"{text!r}: no placeholders here", key)
        return text

    def template(self, raw: Any, key: str, needs: str, extra: set | None = None) -> str:
        text = self.text(raw, key, allowed={needs, *(extra or ())})
        if f"{{{needs}}}" not in text:
            raise self.fail(f"{text!r}: must say where {{{needs}}} goes", key)
        return text

    def link_id(self, raw: Any, key: str) -> str:
        if not isinstance(raw, str) or not _ID.match(raw):
            raise self.fail(f"a linkId is a lower-case code, got {raw!r}", key)
        return raw

    def claim(self, link_id: str, wording: Wording, key: str) -> None:
        """One reading per answer: two lines saying different things of it would disagree."""
        held = self.wording.get(link_id)
        if held is not None and not (held.kind == wording.kind == "score"):
            raise self.fail(f"{link_id} is already read elsewhere in the file", key)
        self.wording[link_id] = wording

    def phrases(self, raw: Any, key: str) -> Mapping[str, str]:
        if not isinstance(raw, Mapping) or not raw:
            raise self.fail("must map each answer code to its phrase", key)
        phrases = {}
        for code, phrase in raw.items():
            if not isinstance(code, str) or not _ID.match(code):
                raise self.fail(f"answer code {code!r} is not a code (quote yes, no, on, off)", key)
            phrases[code] = self.text(phrase, f"{key}.{code}", phrase=True)
        return MappingProxyType(phrases)


_PART_KEYS = {"q", "if_no", *_PART_KINDS, "template", "reports", "none", "alone", "unless"}
_TOP_KEYS = {
    "topic",
    "version",
    "title",
    "review",
    "references",
    "sections",
    "checklist",
    "lines",
    "scores",
}


def _parse_part(read: _Reader, raw: Any, key: str, defaults: Mapping[str, str]) -> _Part:
    raw = read.mapping(raw, key, _PART_KEYS, {"q"})
    q = read.link_id(raw["q"], key)
    key = f"{key} (q: {q})"
    kinds = [kind for kind in _PART_KINDS if kind in raw or (kind == "if_yes" and "if_no" in raw)]
    if len(kinds) != 1:
        raise read.fail(
            "a part is exactly one of codes, checklist, if_yes/if_no, number, words", key
        )
    kind = kinds[0]
    extra = set(raw) - {"q", kind, *{"if_yes": ["if_no"]}.get(kind, [])}
    allowed = {
        "codes": {"template"},
        "checklist": {"reports", "none"},
        "number": {"alone", "unless"},
    }.get(kind, set())
    if extra - allowed:
        raise read.fail(f"{sorted(extra - allowed)[0]!r} does not go with {kind}", key)
    if kind == "codes":
        phrases = read.phrases(raw["codes"], f"{key}.codes")
        template = read.template(raw.get("template", "{items}"), f"{key}.template", "items")
        part = _Part(q, "choice", phrases, template=template)
    elif kind == "checklist":
        phrases = read.phrases(raw["checklist"], f"{key}.checklist")
        if NONE in phrases:
            raise read.fail("'none' has no phrase: ticking it denies every item", key)
        reports = read.template(raw.get("reports", defaults["reports"]), f"{key}.reports", "items")
        none = read.template(raw.get("none", defaults["none"]), f"{key}.none", "items")
        part = _Part(q, "checklist", phrases, template=reports, none=none)
    elif kind == "if_yes":
        phrases = {
            answer: read.text(raw[name], f"{key}.{name}", phrase=True)
            for answer, name in ((True, "if_yes"), (False, "if_no"))
            if name in raw
        }
        part = _Part(q, "boolean", MappingProxyType(phrases))
    elif kind == "number":
        names = set(_PLACEHOLDER.findall(str(raw["number"])))
        template = read.template(raw["number"], f"{key}.number", "value", names - {"value"})
        also = tuple(sorted(names - {"value"}))
        alone = raw.get("alone")
        if also and alone is None:
            raise read.fail(f"names {also[0]}: say in `alone` what to write without it", key)
        alone = read.template(alone, f"{key}.alone", "value") if alone is not None else None
        unless = read.link_id(raw["unless"], key) if "unless" in raw else None
        part = _Part(
            q, "number", MappingProxyType({}), template, also=also, alone=alone, unless=unless
        )
    else:
        if raw["words"] is not True:
            raise read.fail("words: true is the only form (the patient's words, verbatim)", key)
        part = _Part(q, "words", MappingProxyType({}))
    read.claim(q, Wording(part.kind, part.phrases), key)
    return part


def _parse_scores(
    read: _Reader, raw: Any, sections: set[str], defaults: Mapping[str, str]
) -> tuple:
    raw = read.mapping(
        raw,
        "scores",
        {"section", "template", "instruments", "item9"},
        {"section", "template", "instruments"},
    )
    if raw["section"] not in sections:
        raise read.fail(f"no section {raw['section']!r}", "scores.section")
    template = read.text(
        raw["template"], "scores.template", allowed={"name", "total", "max", "result"}
    )
    instruments = []
    if not isinstance(raw["instruments"], list) or not raw["instruments"]:
        raise read.fail("must list the instruments", "scores.instruments")
    for index, entry in enumerate(raw["instruments"]):
        key = f"scores.instruments[{index}]"
        entry = read.mapping(
            entry,
            key,
            {"name", "items", "total", "bands", "positive_from", "positive", "negative"},
            {"name", "items"},
        )
        items = entry["items"]
        if not isinstance(items, list) or not items:
            raise read.fail("items must list the item linkIds", key)
        items = tuple(read.link_id(item, key) for item in items)
        for item in items:
            read.claim(item, Wording("score", MappingProxyType({})), key)
        total = read.link_id(entry["total"], key) if "total" in entry else None
        if total is not None:
            read.claim(total, Wording("total", MappingProxyType({})), key)
        instrument = _Instrument(
            name=read.text(entry["name"], f"{key}.name"), items=items, total=total
        )
        if ("bands" in entry) == ("positive_from" in entry):
            raise read.fail("give either bands or positive_from/positive/negative", key)
        if "bands" in entry:
            instrument = _with_bands(read, entry["bands"], f"{key}.bands", instrument)
        else:
            cut = entry["positive_from"]
            if (
                isinstance(cut, bool)
                or not isinstance(cut, int)
                or not 0 < cut <= instrument.maximum
            ):
                raise read.fail(
                    f"positive_from must be a total from 1 to {instrument.maximum}", key
                )
            instrument = _Instrument(
                instrument.name,
                items,
                total,
                positive_from=cut,
                positive=read.text(entry.get("positive"), f"{key}.positive"),
                negative=read.text(entry.get("negative"), f"{key}.negative"),
            )
        instruments.append(instrument)
    item9 = _parse_item9(read, raw["item9"], defaults) if "item9" in raw else None
    return raw["section"], template, tuple(instruments), item9


def _with_bands(read: _Reader, raw: Any, key: str, instrument: _Instrument) -> _Instrument:
    if not isinstance(raw, Mapping) or not raw:
        raise read.fail("bands map each band's lowest total to its name", key)
    lowest = sorted(raw, key=lambda cut: cut if isinstance(cut, int) else -1)
    if any(isinstance(c, bool) or not isinstance(c, int) for c in lowest) or lowest[0] != 0:
        raise read.fail("band totals are whole numbers and the first band starts at 0", key)
    if lowest[-1] > instrument.maximum:
        raise read.fail(f"a band starts above the maximum total {instrument.maximum}", key)
    bands = tuple((cut, read.text(raw[cut], f"{key}.{cut}")) for cut in reversed(lowest))
    return _Instrument(instrument.name, instrument.items, instrument.total, bands=bands)


def _parse_item9(read: _Reader, raw: Any, defaults: Mapping[str, str]) -> _ItemNine:
    key = "scores.item9"
    raw = read.mapping(
        raw,
        key,
        {"q", "frequency", "above_zero", "zero", "parts"},
        {"q", "frequency", "above_zero", "zero"},
    )
    q = read.link_id(raw["q"], key)
    if read.wording.get(q, Wording("", {})).kind != "score":
        raise read.fail(f"{q} is not an item of an instrument above", key)
    frequency = raw["frequency"]
    if not isinstance(frequency, Mapping) or set(frequency) != set(range(SCORE_MAX + 1)):
        raise read.fail(f"frequency names each score 0 to {SCORE_MAX}", f"{key}.frequency")
    parts = raw.get("parts") or []
    if not isinstance(parts, list):
        raise read.fail("parts must be a list", f"{key}.parts")
    return _ItemNine(
        q=q,
        frequency=MappingProxyType(
            {score: read.text(frequency[score], f"{key}.frequency.{score}") for score in frequency}
        ),
        above_zero=read.template(raw["above_zero"], f"{key}.above_zero", "score", {"frequency"}),
        zero=read.text(raw["zero"], f"{key}.zero"),
        parts=tuple(
            _parse_part(read, part, f"{key}.parts[{index}]", defaults)
            for index, part in enumerate(parts)
        ),
    )


def _parse(document: Any, source: str) -> SummaryLibrary:
    read = _Reader(source)
    if not isinstance(document, Mapping):
        raise read.fail("the summary wording is a mapping (topic: summary, version:, ...)")
    document = read.mapping(document, None, _TOP_KEYS, _TOP_KEYS - {"checklist"})
    if document["topic"] != SUMMARY:
        raise read.fail(f"topic must be {SUMMARY!r}, got {document['topic']!r}", "topic")
    version = document["version"]
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise read.fail(f"must be a whole number from 1, got {version!r}", "version")
    review = read.mapping(document["review"], "review", {"by", "questionnaire"}, {"by"})
    read.text(review["by"], "review.by")
    references = document["references"]
    if not isinstance(references, list) or not references:
        raise read.fail("must list the sources of the scores' cut-offs", "references")
    for index, reference in enumerate(references):
        reference = read.mapping(
            reference, f"references[{index}]", {"title", "url"}, {"title", "url"}
        )
        if not isinstance(reference["url"], str) or not _URL.match(reference["url"]):
            raise read.fail("url must be an http(s) address", f"references[{index}]")

    sections = []
    if not isinstance(document["sections"], list):
        raise read.fail("must be a list of {id, heading}", "sections")
    for index, raw in enumerate(document["sections"]):
        raw = read.mapping(raw, f"sections[{index}]", {"id", "heading"}, {"id", "heading"})
        section_id = read.link_id(raw["id"], f"sections[{index}]")
        if section_id in dict(sections):
            raise read.fail(f"section {section_id!r} twice", f"sections[{index}]")
        sections.append((section_id, read.text(raw["heading"], f"sections[{index}].heading")))
    if not sections:
        raise read.fail("must list the sections", "sections")

    checklist = read.mapping(
        document.get("checklist") or {}, "checklist", {"reports", "none"}, set()
    )
    defaults = {
        "reports": checklist.get("reports", "{items}"),
        "none": checklist.get("none", "none of {items}"),
    }
    lines, ids = [], set()
    if not isinstance(document["lines"], list):
        raise read.fail("must be a list of lines", "lines")
    for index, raw in enumerate(document["lines"]):
        raw = read.mapping(
            raw, f"lines[{index}]", {"id", "section", "label", "parts"}, {"id", "section", "parts"}
        )
        line_id = read.link_id(raw["id"], f"lines[{index}]")
        if line_id in ids:
            raise read.fail("duplicate line id", line_id)
        ids.add(line_id)
        if raw["section"] not in dict(sections):
            raise read.fail(f"no section {raw['section']!r}", f"{line_id}.section")
        label = read.text(raw["label"], f"{line_id}.label") if "label" in raw else None
        if label is not None and (":" in label or ";" in label):
            raise read.fail(f"{label!r}: a label has no : or ;", f"{line_id}.label")
        if not isinstance(raw["parts"], list) or not raw["parts"]:
            raise read.fail("must list at least one part", f"{line_id}.parts")
        parts = tuple(
            _parse_part(read, part, f"{line_id}.parts[{number}]", defaults)
            for number, part in enumerate(raw["parts"])
        )
        lines.append(_Line(line_id, raw["section"], label, parts))

    score_section, template, instruments, item9 = _parse_scores(
        read, document["scores"], set(dict(sections)), defaults
    )
    for line in lines:
        for part in line.parts:
            for other in (*part.also, *([part.unless] if part.unless else [])):
                if read.wording.get(other, Wording("", {})).kind != "number":
                    raise read.fail(f"{other} is not a number read in this file", line.id)
    return SummaryLibrary(
        version=version,
        title=read.text(document["title"], "title"),
        sections=tuple(sections),
        lines=tuple(lines),
        score_section=score_section,
        score_template=template,
        instruments=instruments,
        item9=item9,
        wording=MappingProxyType(dict(read.wording)),
        source=source,
    )
