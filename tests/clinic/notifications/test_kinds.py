"""Every kind of notification is registered by the room that owns it, or the start fails."""

import pytest

from clinic.notifications import kinds
from clinic.notifications.checks import every_kind_registered
from clinic.notifications.kinds import KindHandlers
from clinic.notifications.models import NotificationKind


def test_every_kind_has_a_registered_form_and_headline():
    assert every_kind_registered() == []
    for kind in NotificationKind:
        assert kinds.kind_handlers(kind).headline is not None


def test_a_kind_nobody_registered_stops_the_start(monkeypatch):
    monkeypatch.delitem(kinds._registry, NotificationKind.LINK_LOCKED)
    errors = every_kind_registered()
    assert [error.id for error in errors] == ["notifications.E001"]
    assert "link_locked" in errors[0].msg
    with pytest.raises(LookupError, match="link_locked"):
        kinds.kind_handlers(NotificationKind.LINK_LOCKED)


def test_a_kind_can_not_be_registered_twice_differently():
    known = kinds.kind_handlers(NotificationKind.CASE_FLAGGED)
    kinds.register({NotificationKind.CASE_FLAGGED: known})  # the same again: harmless
    with pytest.raises(ValueError, match="already registered"):
        kinds.register({NotificationKind.CASE_FLAGGED: KindHandlers(headline=str)})


def test_staff_messages_have_an_email_and_case_messages_a_webhook_form():
    for kind in NotificationKind:
        handlers = kinds.kind_handlers(kind)
        assert handlers.email is not None, f"{kind} can't be emailed"
    for kind in (NotificationKind.CASE_FLAGGED, NotificationKind.CASE_ESCALATED):
        assert kinds.kind_handlers(kind).webhook is not None
    for kind in (NotificationKind.REMINDER_48H, NotificationKind.REMINDER_2H):
        assert kinds.kind_handlers(kind).sms is not None
