"""What each kind of notification says, registered by the room that owns what it is about.

The outbox and delivery store, claim, retry and send messages; they don't know what a flagged
case or a reminder is. For each kind, the room that makes it registers how it reads: the bell's
headline, and its email, SMS or webhook body. Registration happens in `AppConfig.ready()`
(`clinic/apps.py` for the review room and delivery failures, `intake/apps.py` for links and
reminders), and a kind nobody registered stops the start (system check notifications.E001),
so no message can be made that nothing knows how to send.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Message:
    subject: str
    text: str
    html: str


def _nowhere(notification, user) -> str | None:
    return None


@dataclass(frozen=True)
class KindHandlers:
    """How one kind of notification reads. A channel without a composer can't carry the kind.

    Composers run inside the delivery's transaction, just before the send: what they write
    (a reminder's new link) is kept only if the send succeeds.
    """

    # The bell's line: a level and a reference, never health information.
    headline: Callable[[Any], str]
    email: Callable[[Any], Message] | None = None
    sms: Callable[[Any], str] | None = None
    webhook: Callable[[Any], Mapping[str, Any]] | None = None
    # Where the bell's entry leads for this user (None: nowhere they may go).
    link: Callable[[Any, Any], str | None] = _nowhere


_registry: dict[str, KindHandlers] = {}


def register(kinds: Mapping[str, KindHandlers]) -> None:
    """Register the handlers of each kind. Registering a kind twice differently is a mistake."""
    for kind, handlers in kinds.items():
        known = _registry.get(kind)
        if known is not None and known != handlers:
            raise ValueError(f"notification kind '{kind}' is already registered differently")
        _registry[kind] = handlers


def kind_handlers(kind: str) -> KindHandlers:
    try:
        return _registry[kind]
    except KeyError:
        raise LookupError(f"no room registered notification kind '{kind}'") from None


def unregistered(kinds) -> list[str]:
    return [kind for kind in kinds if kind not in _registry]
