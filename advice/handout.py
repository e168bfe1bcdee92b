"""The patient-education handout: which blocks a patient reads, and in what order.

The handout is put together from content blocks only; the engine adds nothing
but the section headings. Each block keeps its provenance (topic, block id,
content version) so the clinic can show which approved sentence a patient saw.

Layout, top to bottom:

1. the title (the chosen topics' titles; the global title when none applies);
2. "Do this first": the `act` of the red flags of the most urgent level that
   fired (one only, for an emergency);
3. for each chosen topic (at most three, in the order the patient gave their
   reasons): intro, what the patient said, "What can cause it", "What you can
   do now", "About medicines", "At your visit";
4. the global closing blocks;
5. "When to get care now": the chosen topics' lines, then the global ones;
6. "Where this comes from": the references (links only in HTML and Markdown).

A lone topic gets no heading of its own (the title names it), unless "Do this
first" comes before it.

Length rule. A handout must stay at or under 800 words. When it would run
over, the secondary topics (all but the first) are trimmed one rung at a
time, the last topic first, until it fits; then the first topic:

    rung  causes  steps  intro  "At your visit"  "About medicines"
    0     4       all    all    yes              all             (untrimmed)
    1     4       all    all    no               the ask-first advice only
    2     2       4      all    no               none *
    3     1       3      all    no               none *
    4     1       2      1      no               none *
    5     0       1      1      no               none *

    * the ask-first advice stays when no earlier topic shows it.

What goes first is what the page already says or the visit will cover: the
visit prompts, then the medicines advice that another topic has given. Steps
tailored to the answers (with a `when`) stay longer than general ones. What
the patient reported (`said`) is kept through every rung. If every topic is
at rung 5 and the handout is still too long, these go, one stage at a time
(`_CUTS`): "Do this first" keeps its first 2 instructions (below an
emergency it only ever has one); the other topics' "when to get care now"
lines that do not name the emergency number; references beyond 2 a topic;
the other topics' `said` beyond 2; the first topic's lines that do not name
the emergency number; then 1 instruction, 1 reference and 1 `said` for the
others, and 2 `said` for the first. The global "when to get care now" lines,
every line that names the emergency number, and the closing are never cut,
because they carry the safety advice. tests/advice/test_library_readability.py
renders hundreds of random three-topic patients to show it fits.

One symptom, one instruction. "Do this first" gives the instructions of the
most urgent level only; when that is an emergency, the one action alone. The
crisis line is given once: in "Do this first" when a rule there calls for it,
else in the first block that mentions it.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import markdown as markdown_lib

from advice.content_schema import GLOBAL as GLOBAL_CODE
from advice.content_schema import (
    Block,
    Cause,
    Library,
    SelfCare,
    Topic,
    default_library,
    says_ask_first,
)
from advice.context import HandoutContext
from advice.levels import TriageLevel
from advice.readability import reading_grade, word_count
from advice.triage import TriageResult, triage

__all__ = [
    "MAX_TOPICS",
    "MAX_WORDS",
    "MIN_WORDS",
    "Handout",
    "HandoutBlock",
    "build_handout",
    "choose_topics",
]

MAX_TOPICS = 3
MAX_CAUSES = 4
MIN_WORDS = 150
MAX_WORDS = 800


@dataclass(frozen=True, slots=True)
class _Rung:
    """How much of a topic to show; the ladder is described in the module docstring."""

    causes: int
    steps: int | None = None
    said: int | None = None
    intro: int | None = None
    visit: bool = True
    medicines: str = "all"  # all, ask-first, none


_RUNGS = (
    _Rung(MAX_CAUSES),
    _Rung(MAX_CAUSES, visit=False, medicines="ask-first"),
    _Rung(2, 4, visit=False, medicines="none"),
    _Rung(1, 3, visit=False, medicines="none"),
    _Rung(1, 2, intro=1, visit=False, medicines="none"),
    _Rung(0, 1, intro=1, visit=False, medicines="none"),
)
_FIRST_TOPIC_LOWEST_RUNG = 5


@dataclass(frozen=True, slots=True)
class _Cut:
    """What is shortened once every topic is at its lowest rung (the module docstring)."""

    first_acts: int | None = None  # instructions in "Do this first" (below an emergency)
    secondary_care: bool = True  # "when to get care now" lines of the other topics...
    first_care: bool = True  # ... and of the first, that do not name the emergency number
    references: int | None = None  # per topic
    secondary_said: int | None = None
    first_said: int | None = None


_CUTS = (
    _Cut(),
    _Cut(first_acts=2),
    _Cut(first_acts=2, secondary_care=False),
    _Cut(first_acts=2, secondary_care=False, references=2),
    _Cut(first_acts=2, secondary_care=False, references=2, secondary_said=2),
    _Cut(first_acts=2, secondary_care=False, first_care=False, references=2, secondary_said=2),
    _Cut(first_acts=1, secondary_care=False, first_care=False, references=1, secondary_said=1),
    _Cut(
        first_acts=1,
        secondary_care=False,
        first_care=False,
        references=1,
        secondary_said=1,
        first_said=2,
    ),
)

DO_THIS_FIRST = "do-this-first"
INTRO = "intro"
SAID = "said"
CAUSES = "causes"
SELF_CARE = "self-care"
MEDICINES = "medicines"
VISIT = "visit"
CLOSING = "closing"
GET_CARE_NOW = "get-care-now"
REFERENCES = "references"

HEADINGS = {
    DO_THIS_FIRST: "Do this first",
    CAUSES: "What can cause it",
    SELF_CARE: "What you can do now",
    MEDICINES: "About medicines",
    VISIT: "At your visit",
    GET_CARE_NOW: "When to get care now",
    REFERENCES: "Where this comes from",
}


@dataclass(frozen=True, slots=True)
class HandoutBlock:
    """One piece of content as the patient read it, with where it came from."""

    section: str
    topic: str
    block_id: str
    version: int | None
    text: str
    url: str | None = None  # references only

    def to_dict(self) -> dict[str, Any]:
        data = {
            "section": self.section,
            "topic": self.topic,
            "block_id": self.block_id,
            "version": self.version,
            "text": self.text,
        }
        if self.url is not None:
            data["url"] = self.url
        return data


@dataclass(frozen=True)
class Handout:
    title: str
    topics: tuple[str, ...]
    blocks: tuple[HandoutBlock, ...]
    markdown: str
    html: str
    plain_text: str
    word_count: int
    reading_grade: float
    rules_fired: tuple[str, ...] = ()
    trimmed: tuple[str, ...] = field(default=())  # topics shortened to fit MAX_WORDS

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready snapshot, e.g. to store with the response the patient gave."""
        return {
            "title": self.title,
            "topics": list(self.topics),
            "blocks": [block.to_dict() for block in self.blocks],
            "markdown": self.markdown,
            "html": self.html,
            "plain_text": self.plain_text,
            "word_count": self.word_count,
            "reading_grade": self.reading_grade,
            "rules_fired": list(self.rules_fired),
            "trimmed": list(self.trimmed),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Handout:
        return cls(
            title=data["title"],
            topics=tuple(data["topics"]),
            blocks=tuple(HandoutBlock(**block) for block in data["blocks"]),
            markdown=data["markdown"],
            html=data["html"],
            plain_text=data["plain_text"],
            word_count=data["word_count"],
            reading_grade=data["reading_grade"],
            rules_fired=tuple(data.get("rules_fired", ())),
            trimmed=tuple(data.get("trimmed", ())),
        )


def choose_topics(
    answers: Mapping[str, Any], *, age: int | None = None, library: Library
) -> list[Topic]:
    """Topics whose `applies_when` holds, in the order of the patient's reasons; at most 3.

    A topic that applies without being one of the reasons (say, low mood found
    by the PHQ-2) comes after those the patient named, in library order.
    """
    reasons = answers.get("reason")
    if reasons is None:
        reasons = []
    elif isinstance(reasons, str):
        reasons = [reasons]
    order = {code: index for index, code in enumerate(reasons)}
    chosen = [topic for topic in library.topics if topic.applies(answers, age)]
    chosen.sort(key=lambda topic: order.get(topic.topic, len(order)))
    return chosen[:MAX_TOPICS]


def build_handout(
    answers: Mapping[str, Any],
    *,
    age: int | None = None,
    library: Library | None = None,
    triage_result: TriageResult | None = None,
    context: HandoutContext | None = None,
) -> Handout:
    library = library if library is not None else default_library()
    context = context if context is not None else HandoutContext()
    if triage_result is None:
        triage_result = triage(answers, age=age, library=library, context=context)

    topics = choose_topics(answers, age=age, library=library)
    plans = _plan_topics(topics, answers, age)
    if topics:
        title = " · ".join(context.fill(topic.title) for topic in topics)
    else:
        title = context.fill(library.global_topic.title)
    first = _do_this_first(triage_result, library, context)
    last = _ending(topics, library, answers, age, context)

    crisis = _CrisisLine(
        ids=frozenset(
            (topic.topic, block.id)
            for topic in (*topics, library.global_topic)
            for section in (topic.intro, topic.said, topic.get_care_now)
            for block in section
            if "{crisis_line}" in block.text
        ),
        given_first=any(
            reason.crisis_line
            for reason in triage_result.reasons
            if reason.rule_id in {block.block_id for block in first}
        ),
    )

    emergency_lines = frozenset(
        (topic.topic, block.id)
        for topic in topics
        for block in topic.get_care_now
        if "{emergency_number}" in block.text
    )
    rungs = [0] * len(plans)
    cut = _CUTS[0]

    def compose() -> list[_Part]:
        return _compose(plans, rungs, first, last, context, crisis, cut, emergency_lines)

    parts = compose()
    for index, rung in _trim_order(len(plans)):
        if _count_words(title, parts) <= MAX_WORDS:
            break
        rungs[index] = rung
        parts = compose()
    for stage in _CUTS[1:]:
        if _count_words(title, parts) <= MAX_WORDS:
            break
        cut = stage
        parts = compose()

    chunks = _markdown_chunks(title, parts)
    plain = _render_plain(title, parts)
    return Handout(
        title=title,
        topics=tuple(topic.topic for topic in topics),
        blocks=tuple(block for part in parts for block in part.blocks),
        markdown="\n\n".join(chunks) + "\n",
        html="\n".join(_chunk_html(chunk) for chunk in chunks),
        plain_text=plain,
        word_count=word_count(plain),
        reading_grade=reading_grade(plain),
        rules_fired=triage_result.rules_fired,
        trimmed=tuple(plan.topic.topic for plan, r in zip(plans, rungs, strict=True) if r),
    )


# --- choosing blocks ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _TopicPlan:
    """A chosen topic's blocks that fit the answers, before trimming."""

    topic: Topic
    intro: tuple[Block, ...]
    said: tuple[Block, ...]
    causes: tuple[Cause, ...]  # best first
    steps: tuple[SelfCare, ...]  # file order, shared steps said once
    medicines: tuple[Block, ...]
    visit: tuple[Block, ...]


def _shown(blocks: Iterable[Block], answers: Mapping[str, Any], age: int | None) -> tuple:
    return tuple(block for block in blocks if block.shown(answers, age))


def _plan_topics(
    topics: Sequence[Topic], answers: Mapping[str, Any], age: int | None
) -> list[_TopicPlan]:
    plans = []
    shared_seen: set[str] = set()
    for topic in topics:
        scored = [
            (cause.rank + (cause.boost if cause.when is not None else 0), index, cause)
            for index, cause in enumerate(topic.causes)
            if cause.shown(answers, age)
        ]
        scored.sort(key=lambda item: (-item[0], item[1]))
        steps = []
        for step in _shown(topic.self_care, answers, age):
            if step.shared is not None:
                if step.shared in shared_seen:
                    continue
                shared_seen.add(step.shared)
            steps.append(step)
        plans.append(
            _TopicPlan(
                topic=topic,
                intro=_shown(topic.intro, answers, age),
                said=_shown(topic.said, answers, age),
                causes=tuple(cause for _, _, cause in scored),
                steps=tuple(steps),
                medicines=_shown(topic.medicines, answers, age),
                visit=_shown(topic.visit, answers, age),
            )
        )
    return plans


def _trim_order(topic_count: int) -> Iterator[tuple[int, int]]:
    """(topic index, rung) in the order trimming goes: see the module docstring."""
    for rung in range(1, len(_RUNGS)):
        for index in range(topic_count - 1, 0, -1):
            yield index, rung
    for rung in range(1, _FIRST_TOPIC_LOWEST_RUNG + 1):
        yield 0, rung


def _pick_medicines(blocks: Sequence[Block], keep: str, ask_first_shown: bool) -> Sequence[Block]:
    if keep == "all":
        return blocks
    if keep == "none" and ask_first_shown:
        return ()
    return [block for block in blocks if block.when is None and says_ask_first(block.text)][:1]


def _pick_steps(steps: Sequence[SelfCare], limit: int | None) -> Sequence[SelfCare]:
    if limit is None or len(steps) <= limit:
        return steps
    # Steps tailored to the answers stay longest; the list keeps its file order.
    keep = sorted(range(len(steps)), key=lambda i: (steps[i].when is None, i))[:limit]
    return [steps[i] for i in sorted(keep)]


# --- the document -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Part:
    """A heading (`heading` set, no blocks) or a run of blocks shown one way."""

    kind: str  # heading, paragraphs, numbered, bullets, links, break
    blocks: tuple[HandoutBlock, ...] = ()
    heading: str = ""
    level: int = 2


def _content_block(
    section: str, topic: Topic, block: Block, context: HandoutContext
) -> HandoutBlock:
    return HandoutBlock(
        section=section,
        topic=topic.topic,
        block_id=block.id,
        version=topic.version,
        text=context.fill(block.text),
    )


def _do_this_first(
    result: TriageResult, library: Library, context: HandoutContext
) -> tuple[HandoutBlock, ...]:
    """The instructions the handout opens with: one symptom, one instruction.

    Only the most urgent level's instructions are given, since acting on them covers the rest
    (the clinician still sees every reason). When that level is an emergency, the handout opens
    with that one action alone: a patient who must call the emergency number reads nothing else
    first.
    """
    blocks = []
    seen: set[str] = set()
    reasons = [reason for reason in result.reasons if reason.level is result.level]
    if result.level is TriageLevel.EMERGENCY:
        reasons = reasons[:1]
    for reason in reasons:  # already in rule order within the level
        act = reason.act
        version = reason.version
        if reason.topic in library or reason.topic == library.global_topic.topic:
            topic = library.topic(reason.topic)
            flag = next((f for f in topic.red_flags if f.id == reason.rule_id), None)
            if flag is not None:
                act, version = context.fill(flag.act), topic.version
        if act in seen:
            continue
        seen.add(act)
        blocks.append(HandoutBlock(DO_THIS_FIRST, reason.topic, reason.rule_id, version, act))
    return tuple(blocks)


def _ending(
    topics: Sequence[Topic],
    library: Library,
    answers: Mapping[str, Any],
    age: int | None,
    context: HandoutContext,
) -> tuple[_Part, ...]:
    """Closing, "When to get care now" and "Where this comes from": never trimmed."""
    glob = library.global_topic
    closing = tuple(
        _content_block(CLOSING, glob, block, context)
        for block in _shown(glob.closing, answers, age)
    )
    care: list[HandoutBlock] = []
    seen: set[str] = set()
    for topic in (*topics, glob):
        for block in _shown(topic.get_care_now, answers, age):
            item = _content_block(GET_CARE_NOW, topic, block, context)
            if item.text not in seen:
                seen.add(item.text)
                care.append(item)
    references: list[HandoutBlock] = []
    urls: set[str] = set()
    for topic in (*topics, glob):
        for number, reference in enumerate(topic.references, start=1):
            if reference.url in urls:
                continue
            urls.add(reference.url)
            references.append(
                HandoutBlock(
                    section=REFERENCES,
                    topic=topic.topic,
                    block_id=f"reference-{number}",
                    version=topic.version,
                    text=context.fill(reference.title),
                    url=reference.url,
                )
            )
    parts = [_Part("break"), _Part("paragraphs", closing)]
    if care:
        parts += [_Part("heading", heading=HEADINGS[GET_CARE_NOW]), _Part("bullets", tuple(care))]
    if references:
        parts += [
            _Part("heading", heading=HEADINGS[REFERENCES]),
            _Part("links", tuple(references)),
        ]
    return tuple(parts)


@dataclass(frozen=True, slots=True)
class _CrisisLine:
    """Which blocks give the crisis line, and whether "Do this first" already gives it.

    The crisis line is given once: in "Do this first" when a rule there calls for it, else in
    the first block of the topics or of "When to get care now" that mentions it.
    """

    ids: frozenset[tuple[str, str]]
    given_first: bool

    def keep(self, parts: list[_Part]) -> list[_Part]:
        given = self.given_first
        kept = []
        for part in parts:
            if part.kind == "heading" or part.heading or not part.blocks:
                kept.append(part)
                continue
            blocks = []
            for block in part.blocks:
                if block.section != DO_THIS_FIRST and (block.topic, block.block_id) in self.ids:
                    if given:
                        continue
                    given = True
                blocks.append(block)
            kept.append(_Part(part.kind, tuple(blocks), part.heading, part.level))
        return kept


def _compose(
    plans: Sequence[_TopicPlan],
    rungs: Sequence[int],
    first: tuple[HandoutBlock, ...],
    last: tuple[_Part, ...],
    context: HandoutContext,
    crisis: _CrisisLine | None = None,
    cut: _Cut = _CUTS[0],
    emergency_lines: frozenset[tuple[str, str]] = frozenset(),
) -> list[_Part]:
    parts: list[_Part] = []
    if cut.first_acts is not None:
        first = first[: cut.first_acts]
    if first:
        parts += [_Part("heading", heading=HEADINGS[DO_THIS_FIRST]), _Part("paragraphs", first)]
    # A lone topic needs no heading of its own, unless "Do this first" comes
    # before it: its intro would read as part of that section.
    topic_headings = len(plans) > 1 or bool(first)
    sub_level = 3 if topic_headings else 2
    ask_first_shown = False
    first_code = plans[0].topic.topic if plans else None
    for plan, rung_index in zip(plans, rungs, strict=True):
        rung = _RUNGS[rung_index]
        topic = plan.topic
        said_cap = cut.first_said if topic.topic == first_code else cut.secondary_said

        def blocks(section: str, chosen: Iterable[Block], topic: Topic = topic) -> tuple:
            return tuple(_content_block(section, topic, block, context) for block in chosen)

        if topic_headings:
            parts.append(_Part("heading", heading=context.fill(topic.title)))
        intro = blocks(INTRO, plan.intro[: rung.intro])
        parts.append(_Part("paragraphs", intro + blocks(SAID, plan.said[:said_cap])))
        medicines = _pick_medicines(plan.medicines, rung.medicines, ask_first_shown)
        ask_first_shown = ask_first_shown or any(
            block.when is None and says_ask_first(block.text) for block in medicines
        )
        sections = (
            (CAUSES, "bullets", plan.causes[: rung.causes]),
            (SELF_CARE, "numbered", _pick_steps(plan.steps, rung.steps)),
            (MEDICINES, "paragraphs", medicines),
            (VISIT, "paragraphs", plan.visit if rung.visit else ()),
        )
        for section, kind, chosen in sections:
            if chosen:
                parts.append(_Part("heading", heading=HEADINGS[section], level=sub_level))
                parts.append(_Part(kind, blocks(section, chosen)))
    parts.extend(_cut_ending(last, cut, first_code, emergency_lines))
    return crisis.keep(parts) if crisis is not None else parts


def _cut_ending(
    last: Sequence[_Part],
    cut: _Cut,
    first_code: str | None,
    emergency_lines: frozenset[tuple[str, str]],
) -> list[_Part]:
    """The ending, less what `cut` leaves out: the global lines and every line that names the
    emergency number always stay."""

    def keep(block: HandoutBlock) -> bool:
        if block.section == REFERENCES:
            return cut.references is None or int(block.block_id.rsplit("-", 1)[1]) <= (
                cut.references if block.topic != GLOBAL_CODE else 99
            )
        if block.section != GET_CARE_NOW or block.topic == GLOBAL_CODE:
            return True
        if (block.topic, block.block_id) in emergency_lines:
            return True
        return cut.first_care if block.topic == first_code else cut.secondary_care

    return [
        _Part(part.kind, tuple(b for b in part.blocks if keep(b)), part.heading, part.level)
        if part.blocks
        else part
        for part in last
    ]


# --- rendering -----------------------------------------------------------------------

_MD_INLINE = re.compile(r"([\\`*_\[\]])")
_MD_BLOCK_START = re.compile(r"^(?:([#+-])|(\d+)([.)]))")
_ENDS_SENTENCE = re.compile(r"[.!?][\"')\]]?$")


def _md(text: str) -> str:
    """Text as Markdown that renders to exactly that text, HTML-escaped.

    Content is trusted, but placeholders come from settings and the content is
    plain prose, so nothing inserted may become markup.
    """
    escaped = html.escape(_MD_INLINE.sub(r"\\\1", text), quote=False)
    match = _MD_BLOCK_START.match(escaped)
    if match is None:
        return escaped
    if match.group(1):
        return "\\" + escaped
    return f"{match.group(2)}\\{escaped[match.end(2) :]}"


def _markdown_chunks(title: str, parts: Sequence[_Part]) -> list[str]:
    """The Markdown source as blocks, to be joined by blank lines."""
    chunks = [f"# {_md(title)}"]
    for part in parts:
        if part.kind == "heading":
            chunks.append(f"{'#' * part.level} {_md(part.heading)}")
        elif part.kind == "paragraphs":
            chunks.extend(_md(block.text) for block in part.blocks)
        elif part.kind == "numbered":
            chunks.append(
                "\n".join(f"{n}. {_md(b.text)}" for n, b in enumerate(part.blocks, start=1))
            )
        elif part.kind == "bullets":
            chunks.append("\n".join(f"- {_md(block.text)}" for block in part.blocks))
        elif part.kind == "links":
            chunks.append("\n".join(f"- [{_md(block.text)}]({block.url})" for block in part.blocks))
        elif part.kind == "break":
            chunks.append("* * *")
    return chunks


@functools.lru_cache(maxsize=4096)
def _chunk_html(chunk: str) -> str:
    """One Markdown block as HTML, by the markdown package.

    Converting block by block gives the same HTML as converting the whole
    source (the blocks are independent: no reference links, blank lines
    between), and lets the blocks every handout shares be converted once.
    Whole-document conversion took about half of a handout's build time.
    """
    return markdown_lib.markdown(chunk, output_format="html")


@functools.lru_cache(maxsize=4096)
def _words(text: str) -> int:
    return word_count(text)


def _count_words(title: str, parts: Sequence[_Part]) -> int:
    """`word_count` of what `_render_plain` would give, from cached counts of its pieces.

    textstat counts words by removing punctuation and splitting on spaces, so
    the count of the whole is the sum of the counts of its lines; the list
    numbers ("1.") are one word each.
    """
    total = _words(_sentence(title))
    for part in parts:
        if part.kind == "heading":
            total += _words(_sentence(part.heading))
        elif part.kind == "links":
            total += sum(_words(_sentence(block.text)) for block in part.blocks)
        else:
            total += sum(_words(block.text) for block in part.blocks)
            if part.kind == "numbered":
                total += len(part.blocks)
    return total


def _sentence(text: str) -> str:
    # textstat splits sentences only at . ! ?; a heading without one would be
    # read as part of the sentence after it and skew the grade.
    return text if _ENDS_SENTENCE.search(text) else f"{text}."


def _render_plain(title: str, parts: Sequence[_Part]) -> str:
    """What the patient reads, headings included, no web addresses."""
    chunks = [_sentence(title)]
    for part in parts:
        if part.kind == "heading":
            chunks.append(_sentence(part.heading))
        elif part.kind == "paragraphs":
            chunks.extend(block.text for block in part.blocks)
        elif part.kind == "numbered":
            chunks.append("\n".join(f"{n}. {b.text}" for n, b in enumerate(part.blocks, start=1)))
        elif part.kind == "bullets":
            chunks.append("\n".join(f"- {block.text}" for block in part.blocks))
        elif part.kind == "links":
            chunks.append("\n".join(f"- {_sentence(block.text)}" for block in part.blocks))
    return "\n\n".join(chunks) + "\n"
