"""A questionnaire, read: its pages and items, which are enabled, and answers checked against it.

Pure Python (no Django), so the portal forms, the command line and the tests all
use the same rules.

Answers are a flat ``dict[linkId, value]``:

======================  ==================================================
item                    Python value
======================  ==================================================
boolean                 ``True`` / ``False``
choice / open-choice    the answer code, ``str`` (open-choice: or free text)
choice, ``repeats``     ``list[str]`` of codes, in the order the options are shown
integer                 ``int``
decimal                 ``float``
date                    ISO ``str``, ``YYYY-MM-DD``
string, text            ``str``
======================  ==================================================

Scored choices (PHQ/GAD items, codes ``"0"``-``"3"``) stay code strings here;
:meth:`Definition.for_advice` turns them into ``int`` scores and adds the totals.
Calculated totals are never stored: they are worked out from the answers.

How ``enableWhen`` is evaluated (FHIR R4/R4B ``Questionnaire.item.enableWhen`` and
the ``QuestionnaireItemOperator`` code system):

- A question that is itself disabled counts as unanswered ("the logic should
  proceed as though the item is not valued"), and so do all items below a
  disabled group.
- ``exists``: true when whether the question has an answer equals the boolean.
- ``=``: true when at least one answer equals the value.
- ``!=``: true when *no* answer equals the value. R4 words it "at least no
  answer has a value that is equal"; R5 makes the intent plain ("no answer").
  So ``!=`` is **true when the question is unanswered**. Write
  ``exists = true`` plus ``!=`` with ``enableBehavior: all`` (or list the
  wanted values with ``=`` and ``any``) to require an answer.
- ``>``, ``<``, ``>=``, ``<=``: true when at least one answer compares so; false
  when unanswered. (R4's "at least no answer ... greater" is a known typo, fixed
  in R5.) Only integer, decimal and date questions may be compared so.
- ``enableBehavior``: ``all`` (every condition) or ``any`` (at least one); required
  when there is more than one condition.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from intake.questionnaires.answers import clean, normalise_raw, to_raw, unknown_message
from intake.questionnaires.enable_when import State
from intake.questionnaires.items import (
    NON_FIELD_ERRORS,
    STRING_TYPES,
    InvalidAnswer,
    Item,
    PageProgress,
    Value,
    copy_value,
    is_empty,
    is_number,
)
from intake.questionnaires.parsing import parse_questionnaire

# The questionnaire every clinic starts with (loaded by migration intake 0002).
GENERAL_PREVISIT = Path(__file__).resolve().parent / "general-previsit.json"


@dataclass(frozen=True, eq=False)
class Definition:
    url: str
    version: str | None
    name: str | None
    title: str | None
    pages: tuple[Item, ...]
    items_by_id: Mapping[str, Item]
    _parents: Mapping[str, str | None]

    def __repr__(self) -> str:
        return f"<Definition {self.canonical}>"

    # ----------------------------------------------------------------- loading

    @classmethod
    def from_fhir(cls, resource: Mapping[str, Any]) -> Definition:
        """Read a FHIR R4 Questionnaire (parsed JSON); DefinitionError names the item at fault."""
        parsed = parse_questionnaire(resource)
        return cls(
            url=parsed.url,
            version=parsed.version,
            name=parsed.name,
            title=parsed.title,
            pages=parsed.pages,
            items_by_id=parsed.items_by_id,
            _parents=parsed.parents,
        )

    @property
    def canonical(self) -> str:
        """``url|version``, as a QuestionnaireResponse names its questionnaire."""
        return f"{self.url}|{self.version}" if self.version else self.url

    # ----------------------------------------------------------------- structure

    def page(self, page_link_id: str) -> Item:
        for page in self.pages:
            if page.link_id == page_link_id:
                return page
        raise KeyError(f"no page '{page_link_id}' in {self.url}")

    def page_of(self, link_id: str) -> Item:
        while (parent := self._parents[link_id]) is not None:
            link_id = parent
        return self.items_by_id[link_id]

    def parent_of(self, link_id: str) -> str | None:
        return self._parents[link_id]

    def questions(self, page_link_id: str | None = None) -> list[Item]:
        """Items the patient answers, in order: on one page, or in the whole questionnaire."""
        roots = [self.page(page_link_id)] if page_link_id else self.pages
        return [item for root in roots for item in root.walk() if item.is_question]

    def page_questions(self, page_link_id: str) -> list[Item]:
        """The questions on one page, in order (groups, display texts and totals left out)."""
        return self.questions(page_link_id)

    def page_item_ids(self, page_link_id: str) -> frozenset[str]:
        """Every linkId on the page, the page's own and its groups' included."""
        return frozenset(item.link_id for item in self.page(page_link_id).walk())

    def score(self, link_id: str, value: Any) -> int | float | None:
        if value is None:
            return None
        item = self.items_by_id[link_id]
        if item.scored:
            option = item.option(value) if isinstance(value, str) else None
            return option.ordinal if option else None
        return value if is_number(value) else None

    # ----------------------------------------------------------------- evaluation

    def enabled(self, link_id: str, answers: Mapping[str, Any]) -> bool:
        """Whether the item is shown and asked, given the answers (its groups count too)."""
        if link_id not in self.items_by_id:
            raise KeyError(f"no item '{link_id}' in {self.url}")
        return State(self, answers).enabled(link_id)

    def compute_totals(self, answers: Mapping[str, Any]) -> dict[str, int | float]:
        """The totals that can be worked out: each enabled, with every one of its parts answered."""
        state = State(self, answers)
        totals = {}
        for link_id, item in self.items_by_id.items():
            if item.sum_of and (value := state.value(link_id)) is not None:
                totals[link_id] = value
        return totals

    def prune(self, answers: Mapping[str, Any]) -> dict[str, Value]:
        """Keep only answers to enabled questions (unknown ids and totals go too).

        Dropping an answer can disable another item, so this runs until nothing
        changes; changing an earlier answer therefore removes answers it now hides.
        """
        current = {k: copy_value(v) for k, v in answers.items()}
        while True:
            state = State(self, current)
            kept = {
                link_id: value
                for link_id, value in current.items()
                if link_id in self.items_by_id
                and self.items_by_id[link_id].is_question
                and not is_empty(value)
                and state.enabled(link_id)
            }
            if kept == current:
                return self._ordered(kept)
            current = kept

    def for_advice(self, answers: Mapping[str, Any]) -> dict[str, Value]:
        """The answers as ``advice`` reads them (docs/answers.md).

        Disabled items dropped, scored choices as their ``int`` score, totals added.
        """
        pruned = self.prune(answers)
        out: dict[str, Value] = {}
        for link_id, value in pruned.items():
            item = self.items_by_id[link_id]
            out[link_id] = self.score(link_id, value) if item.scored else value
        out.update(self.compute_totals(pruned))
        return out

    def _ordered(self, answers: Mapping[str, Any]) -> dict[str, Any]:
        return {k: answers[k] for k in self.items_by_id if k in answers}

    def own_words(self, answers: Mapping[str, Any]) -> set[str]:
        """The linkIds whose answers are the patient's own words: free text, and an open-choice
        answer typed rather than chosen (and, to be safe, any answer we can't place).
        Anonymising removes these; a chosen option identifies no one."""
        words = set()
        for link_id, value in answers.items():
            item = self.items_by_id.get(link_id)
            if item is None or item.type in STRING_TYPES:
                words.add(link_id)
            elif item.type == "open-choice":
                values = value if isinstance(value, list) else [value]
                if any(not isinstance(v, str) or item.option(v) is None for v in values):
                    words.add(link_id)
        return words

    # ----------------------------------------------------------------- validation

    def clean_page(
        self,
        page_link_id: str,
        raw: Mapping[str, Any],
        current_answers: Mapping[str, Any],
        *,
        today: date | None = None,
    ) -> tuple[dict[str, Value], dict[str, str]]:
        """Validate one posted page.

        ``raw`` maps linkId to the posted strings (a list per field, as
        ``QueryDict.lists()`` gives; a Django ``QueryDict`` itself works too). It
        must hold only answer fields: strip the CSRF token and buttons first, as
        any other key is reported under ``"__all__"``. Blank strings count as no
        answer. Which items are enabled is decided on ``current_answers`` with
        this page's answers replacing whatever it held before; answers to
        disabled items are dropped without an error. Dates may not be in the
        future (``today`` defaults to the machine's date: pass the clinic's).

        Returns ``(cleaned, errors)``: ``cleaned`` holds this page's answers
        only; merge it with :meth:`with_page`.
        """
        page = self.page(page_link_id)
        scope = [item for item in page.walk() if item.is_question]
        return clean(
            self,
            normalise_raw(raw),
            scope,
            {k: v for k, v in current_answers.items() if self._page_id_of(k) != page_link_id},
            require=True,
            today=today,
            outside="these are not questions on this page",
        )

    def with_page(
        self, answers: Mapping[str, Any], page_link_id: str, cleaned: Mapping[str, Any]
    ) -> dict[str, Value]:
        """The answers with one page's answers replaced by ``cleaned``, then pruned."""
        page_ids = {item.link_id for item in self.page(page_link_id).walk()}
        merged = {k: v for k, v in answers.items() if k not in page_ids}
        merged.update(cleaned)
        return self.prune(merged)

    def clean_all(
        self,
        raw: Mapping[str, Any],
        *,
        complete: bool = True,
        today: date | None = None,
    ) -> tuple[dict[str, Value], dict[str, str]]:
        """Validate a whole set of raw answers at once (every page), as clean_page does.

        With ``complete=False`` required questions may be left unanswered (a
        response still in progress).
        """
        return clean(
            self,
            normalise_raw(raw),
            self.questions(),
            {},
            require=complete,
            today=today,
            outside="these are not questions in this questionnaire",
        )

    def validate_answers(
        self, answers: Mapping[str, Any], *, complete: bool = True, today: date | None = None
    ) -> tuple[dict[str, Value], dict[str, str]]:
        """Check stored answers (Python values) with the same rules as a posted page."""
        raw: dict[str, list[str]] = {}
        type_errors: dict[str, str] = {}
        unknown: list[str] = []
        for link_id, value in answers.items():
            item = self.items_by_id.get(link_id)
            if item is None or not item.is_question:
                unknown.append(link_id)
                continue
            try:
                raw[link_id] = to_raw(item, value)
            except InvalidAnswer as error:
                type_errors[link_id] = str(error)
        cleaned, errors = self.clean_all(raw, complete=complete, today=today)
        for link_id, message in type_errors.items():
            if self._is_enabled_given(link_id, cleaned):
                errors[link_id] = message
        if unknown:
            errors[NON_FIELD_ERRORS] = unknown_message(
                "these are not questions in this questionnaire", unknown
            )
        return cleaned, errors

    def _page_id_of(self, link_id: str) -> str | None:
        return self.page_of(link_id).link_id if link_id in self.items_by_id else None

    def _is_enabled_given(self, link_id: str, answers: Mapping[str, Any]) -> bool:
        return State(self, answers).enabled(link_id)

    # ----------------------------------------------------------------- navigation

    def visible_pages(self, answers: Mapping[str, Any]) -> list[Item]:
        """Pages with at least one enabled question (display texts and totals do not count)."""
        state = State(self, answers)
        return [
            page
            for page in self.pages
            if any(state.enabled(q.link_id) for q in page.walk() if q.is_question)
        ]

    def incomplete_pages(self, answers: Mapping[str, Any]) -> list[str]:
        """Pages the patient sees that still have an enabled required question unanswered."""
        state = State(self, answers)
        return [
            page.link_id
            for page in self.visible_pages(answers)
            if any(
                q.is_question
                and q.required
                and state.enabled(q.link_id)
                and state.value(q.link_id) is None
                for q in page.walk()
            )
        ]

    def first_unanswered_page(
        self, answers: Mapping[str, Any], *, seen: Iterable[str] = ()
    ) -> Item | None:
        """The first page the patient still has to fill in, or None when all are done.

        A page is done when every enabled required question is answered and
        either it is in ``seen`` (pages the patient has submitted, even with
        every optional question blank) or at least one of its questions is answered.
        """
        seen = set(seen)
        state = State(self, answers)
        for page in self.visible_pages(answers):
            asked = [q for q in page.walk() if q.is_question and state.enabled(q.link_id)]
            answered = {q.link_id for q in asked if state.value(q.link_id) is not None}
            if any(q.required and q.link_id not in answered for q in asked):
                return page
            if page.link_id not in seen and not answered:
                return page
        return None

    def page_progress(self, page_link_id: str, answers: Mapping[str, Any]) -> PageProgress:
        """Where this page sits among the pages the patient sees (``3 of 7``).

        The total also counts each later page that is hidden while a question its items depend
        on has no answer yet: it may still be shown, so the total can only shrink as the
        patient answers, and the count never jumps back ("1 of 7", then "2 of 8")."""
        self.page(page_link_id)
        visible = {p.link_id for p in self.visible_pages(answers)}
        order = [p.link_id for p in self.pages]
        position = order.index(page_link_id)
        before = sum(1 for link_id in visible if order.index(link_id) < position)
        state = State(self, answers)

        def open_question(link_id: str) -> bool:  # shown, and not answered (or totalled) yet
            return state.enabled(link_id) and state.value(link_id) is None

        may_show = sum(
            1
            for page in self.pages[position + 1 :]
            if page.link_id not in visible
            and any(
                open_question(condition.question)
                for item in page.walk()
                for condition in item.enable_when
            )
        )
        return PageProgress(number=before + 1, total=max(len(visible) + may_show, before + 1))
