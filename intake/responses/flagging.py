"""A triage result that needs a clinician is handed to whoever keeps the review queue.

Intake decides the level; it does not keep the queue. The review room (clinic/review) sits
above intake (its case page reads the answers), so intake can't call it by import. Instead
ClinicConfig.ready() (clinic/apps.py) registers `clinic.review.services.case_flag` here, and
the portal calls `flag()` inside the transaction that stores the answers: the case and its
notifications exist exactly when the answers do.

Fail closed: with no handler registered, `flag()` raises and the answers are not stored, and
the system check intake.E001 stops the start; an emergency is never stored unflagged.
"""

from collections.abc import Sequence
from typing import Protocol

from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from advice.levels import TriageLevel
from advice.triage import Reason
from clinic.records.models import Appointment


class FlagHandler(Protocol):
    def __call__(
        self, *, appointment: Appointment, level: TriageLevel, reasons: Sequence[Reason]
    ) -> object: ...


_handler: FlagHandler | None = None


def register_flag_handler(handler: FlagHandler) -> None:
    global _handler
    if _handler is not None and _handler is not handler:
        raise ImproperlyConfigured("a different flag handler is already registered")
    _handler = handler


def flag(*, appointment: Appointment, level: TriageLevel, reasons: Sequence[Reason]) -> None:
    """Hand a flagged result (emergency or urgent) to the review room, in the caller's
    transaction. Routine results are not flags and are not passed on."""
    if not TriageLevel(level).flagged:
        return
    if _handler is None:
        raise ImproperlyConfigured(
            "no flag handler is registered: a flagged response would reach no clinician"
        )
    _handler(appointment=appointment, level=TriageLevel(level), reasons=reasons)


def handler_registered(app_configs=None, **kwargs):
    if _handler is not None:
        return []
    return [
        checks.Error(
            "No flag handler is registered: flagged responses would reach no clinician.",
            hint="ClinicConfig.ready() registers clinic.review.services.case_flag.",
            id="intake.E001",
        )
    ]
