"""A flagged response reaches the review room, through the one registered handler; with none,
nothing is stored (fail closed)."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from clinic.review.models import Case
from clinic.review.services import case_flag
from intake.responses import flagging
from intake.responses.models import Response
from intake.responses.services import response_open, response_save_page
from tests.factories import reason

pytestmark = pytest.mark.django_db

CHEST_PAIN = {"urgent-now": ["chest-pain"], "chest-pain-with": ["sweating"]}


def test_the_review_room_is_registered_at_start():
    assert flagging._handler is case_flag
    assert flagging.handler_registered() == []


def test_a_flag_reaches_the_review_room_and_a_routine_result_does_not(appointment):
    flagging.flag(appointment=appointment, level="routine", reasons=[])
    assert not Case.objects.exists()
    flagging.flag(appointment=appointment, level="urgent", reasons=[reason()])
    assert Case.objects.get().appointment == appointment


def test_with_no_handler_an_emergency_page_is_not_stored_and_the_start_check_fails(
    appointment, monkeypatch
):
    monkeypatch.setattr(flagging, "_handler", None)
    assert [error.id for error in flagging.handler_registered()] == ["intake.E001"]
    response = response_open(appointment=appointment)
    with pytest.raises(ImproperlyConfigured, match="would reach no clinician"):
        response_save_page(response=response, page_id="page-urgent", raw=CHEST_PAIN)
    assert Response.objects.get(pk=response.pk).answers == {}
    assert not Case.objects.exists()


def test_a_second_different_handler_is_refused():
    with pytest.raises(ImproperlyConfigured, match="already registered"):
        flagging.register_flag_handler(lambda **kwargs: None)
