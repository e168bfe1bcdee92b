"""Reading level and length of what a patient reads, measured as textstat 0.7.4 does.

textstat is imported on first use: importing it costs about a quarter of a
second (it loads pkg_resources), which the CLI and web workers should not pay
at start-up unless they measure something.
"""

from __future__ import annotations

__all__ = ["reading_grade", "word_count"]


def reading_grade(text: str) -> float:
    """Flesch-Kincaid grade level (textstat `flesch_kincaid_grade`)."""
    import textstat

    return float(textstat.flesch_kincaid_grade(text))


def word_count(text: str) -> int:
    """Words as textstat counts them (`lexicon_count`: punctuation removed, split on spaces)."""
    import textstat

    return int(textstat.lexicon_count(text))
