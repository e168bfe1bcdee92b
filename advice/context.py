"""What the clinic fills into the content: its name and the numbers to call."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

__all__ = ["HandoutContext"]

_PLACEHOLDER = re.compile(r"\{(emergency_number|clinic_name|crisis_line)\}")


@dataclass(frozen=True, slots=True)
class HandoutContext:
    """Values for `{clinic_name}`, `{emergency_number}` and `{crisis_line}`.

    They come from the clinic's settings, not from reviewed content, so the
    renderers escape them like any other text. The defaults read correctly in
    any country; a clinic sets its own numbers.
    """

    clinic_name: str = "your clinic"
    emergency_number: str = "your local emergency number"
    crisis_line: str = "a crisis line"

    def fill(self, text: str) -> str:
        """Text with every placeholder replaced (content validation allows no other braces)."""
        if "{" not in text:
            return text
        filled = _PLACEHOLDER.sub(lambda match: getattr(self, match.group(1)), text)
        return " ".join(filled.split())

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
