"""The patient's own words, read for red flags.

The free-text answers named in `_global.yaml` (`free_text.answers`: the reason in their own
words, "something else") are read with medspaCy: its target matcher finds the phrases of each
`free_text` rule (with small misspellings), and its ConText algorithm decides whether each
mention is denied ("no chest pain"), hypothetical ("if I get chest pain"), past ("years ago")
or about someone else ("my dad had a stroke"). A mention that is none of those fires its rule.

Words can only raise the level: a rule found here is one more reason, never a reason less.
The ConText rules below are written for how patients write, not for clinicians' notes (whose
default rules treat "but" as a negation and "wife" as family history): a spouse telling what
they saw ("my wife says I had a seizure") is a report about the patient.
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from advice.content_schema import WordsRule

__all__ = ["MAX_CHARACTERS", "Mention", "screen", "warm"]

# Longer answers are read up to here; the questionnaire allows at most 2,000 characters.
MAX_CHARACTERS = 5000

# (trigger, category, direction). Forward triggers act on what follows them in the sentence,
# backward ones on what comes before; TERMINATE ends a trigger's reach.
_CONTEXT_RULES: tuple[tuple[str, str, str], ...] = (
    *(
        (word, "NEGATED_EXISTENCE", "FORWARD")
        for word in (
            "no",
            "not",
            "never",
            "without",
            "denies",
            "deny",
            "don't have",
            "do not have",
            "dont have",
            "haven't had",
            "have not had",
            "havent had",
            "didn't have",
            "did not have",
            "free of",
            "nor",
            "none",
            "ruled out",
        )
    ),
    *(
        (words, "NEGATED_EXISTENCE", "BACKWARD")
        for words in ("has gone", "have gone", "is gone", "went away", "ruled out")
    ),
    # Doubt is not denial: "not sure it was a seizure" still counts (the safe side).
    *(
        (words, "POSSIBLE_EXISTENCE", "FORWARD")
        for words in (
            "not sure",
            "not sure if",
            "not sure whether",
            "not certain",
            "maybe",
            "might",
            "may",
            "think",
            "worried",
        )
    ),
    *(
        (words, "HYPOTHETICAL", "FORWARD")
        for words in ("if", "in case", "what if", "what to do if", "should i get", "whether")
    ),
    *(
        (words, "HISTORICAL", "BIDIRECTIONAL")
        for words in (
            "history of",
            "years ago",
            "last year",
            "in the past",
            "as a child",
            "when i was",
        )
    ),
    *(
        (words, "FAMILY", "BIDIRECTIONAL")
        for words in (
            "mother",
            "mom",
            "mum",
            "father",
            "dad",
            "brother",
            "sister",
            "son",
            "daughter",
            "grandmother",
            "grandfather",
            "grandma",
            "grandpa",
            "aunt",
            "uncle",
            "cousin",
            "parents",
            "family",
            "wife",
            "husband",
            "partner",
            "friend",
            "runs in",
        )
    ),
    # What ends a trigger's reach: a new clause, or someone reporting what they saw.
    *(
        (words, "TERMINATE", "TERMINATE")
        for words in (
            "but",
            "however",
            "although",
            "though",
            "except",
            "still",
            "now",
            "says",
            "said",
            "saw",
            "told me",
            "noticed",
            "thinks",
        )
    ),
    # Phrases that look like a trigger and are not one.
    *(
        (words, "PSEUDO", "PSEUDO")
        for words in (
            "not only",
            "no better",
            "not better",
            "no change",
            "not stop",
            "not go away",
            # "cannot" is cut into "can" + "not": "I cannot pass urine" is not a denial.
            "cannot",
        )
    ),
)

# Only denial, a hypothesis, the past and other people set a mention aside; a doubtful one
# ("I think it was a seizure") counts.
_SET_ASIDE = ("is_negated", "is_hypothetical", "is_historical", "is_family")


@dataclass(frozen=True, slots=True)
class Mention:
    """A rule's phrase written in an answer, and not set aside."""

    rule: WordsRule
    link_id: str
    words: str  # as the patient wrote them
    with_words: str | None = None


def screen(answers: Mapping[str, Any], link_ids: Iterable[str], rules: tuple[WordsRule, ...]):
    """Every rule the free-text answers `link_ids` raise, once each, in rule order."""
    texts = {
        link_id: answers[link_id][:MAX_CHARACTERS]
        for link_id in link_ids
        if isinstance(answers.get(link_id), str) and answers[link_id].strip()
    }
    if not texts or not rules:
        return []
    reader = _reader(rules)
    found: dict[str, Mention] = {}
    for link_id, text in texts.items():
        for mention in reader.mentions(link_id, text):
            found.setdefault(mention.rule.id, mention)
    return [found[rule.id] for rule in rules if rule.id in found]


class _Reader:
    """A medspaCy pipeline holding the rules' phrases (built once per rule set)."""

    def __init__(self, rules: tuple[WordsRule, ...]) -> None:
        # medspaCy and spaCy are imported here, not at module load: importing them takes about
        # half a second, which a process that never reads free text should not pay.
        import spacy
        from medspacy.context import ConTextRule
        from medspacy.target_matcher import TargetRule

        self.rules = {rule.id: rule for rule in rules}
        nlp = spacy.blank("en")
        nlp.add_pipe("sentencizer")
        matcher = nlp.add_pipe("medspacy_target_matcher")
        context = nlp.add_pipe("medspacy_context", config={"rules": None})
        targets = []
        for rule in rules:
            for phrase in rule.phrases:
                targets.append(TargetRule(phrase, rule.id, pattern=_pattern(phrase, fuzzy=True)))
            for phrase in rule.exact:
                targets.append(TargetRule(phrase, rule.id, pattern=_pattern(phrase, fuzzy=False)))
            for phrase in rule.with_phrases:
                label = f"{rule.id}+with"
                targets.append(TargetRule(phrase, label, pattern=_pattern(phrase, fuzzy=True)))
        matcher.add(targets)
        context.add(
            [
                ConTextRule(
                    words, category, direction=direction, pattern=_pattern(words, fuzzy=False)
                )
                for words, category, direction in _CONTEXT_RULES
            ]
        )
        self.nlp = nlp
        # A spaCy pipeline is not documented as safe to share across threads.
        self.lock = threading.Lock()

    def mentions(self, link_id: str, text: str) -> list[Mention]:
        with self.lock:
            doc = self.nlp(text)
        kept: dict[str, list[str]] = {}
        for span in doc.ents:
            if any(getattr(span._, flag) for flag in _SET_ASIDE):
                continue
            kept.setdefault(span.label_, []).append(span.text)
        found = []
        for rule_id, rule in self.rules.items():
            if rule_id not in kept:
                continue
            with_words = None
            if rule.with_phrases:
                if f"{rule_id}+with" not in kept:
                    continue
                with_words = kept[f"{rule_id}+with"][0]
            found.append(Mention(rule, link_id, kept[rule_id][0], with_words))
        return found


def _pattern(phrase: str, *, fuzzy: bool) -> list[dict]:
    """A token pattern: long words match with a misspelling or two (one for 7 letters, two
    from 8), shorter ones only as written ("strike" is not "stroke").

    A misspelt word must still start with the right letter, so "sleeping" is not "bleeding".
    """
    tokens = []
    for word in _words(phrase):
        if fuzzy and len(word) >= 8:
            tokens.append({"LOWER": {"FUZZY2": word, "REGEX": f"^{re.escape(word[0])}"}})
        elif fuzzy and len(word) == 7:
            tokens.append({"LOWER": {"FUZZY1": word, "REGEX": f"^{re.escape(word[0])}"}})
        else:
            tokens.append({"LOWER": word})
    return tokens


@functools.lru_cache(maxsize=1024)
def _words(phrase: str) -> tuple[str, ...]:
    """The phrase cut into tokens as spaCy cuts the patient's text ("don't" is do + n't)."""
    return tuple(token.lower_ for token in _tokenizer()(phrase))


@functools.lru_cache(maxsize=1)
def _tokenizer():
    import spacy

    return spacy.blank("en").tokenizer


@functools.lru_cache(maxsize=8)
def _reader(rules: tuple[WordsRule, ...]) -> _Reader:
    return _Reader(rules)


def warm(rules: tuple[WordsRule, ...]) -> None:
    """Build the reader for `rules` now (a web process calls this as it starts)."""
    if rules:
        _reader(rules)
