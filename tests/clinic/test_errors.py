"""The answer to a request that failed: 503 "back in a minute" while the database can't be reached
(a restart, a failover), Django's plain 500 for anything else. tests/clinic/test_database_restart.py
meets the first for real; here each branch is taken with the exception Django would be handling."""

import pytest
from django.db import InterfaceError, OperationalError
from django.test import RequestFactory

from clinic.views import server_error


def _answer_while_handling(error: BaseException):
    request = RequestFactory().get("/p/verify/")
    try:
        raise error
    except BaseException:
        return server_error(request)


@pytest.mark.parametrize(
    "error", [OperationalError("server closed the connection"), InterfaceError()]
)
def test_a_database_that_cannot_be_reached_is_a_calm_503_with_retry_after(error):
    answer = _answer_while_handling(error)
    assert answer.status_code == 503
    assert answer["Retry-After"] == "30"
    assert answer["Cache-Control"] == "no-store"
    page = answer.content.decode()
    assert "We will be back in a minute" in page
    assert "The answers you saved are kept" in page
    assert "911" in page  # when to get care now, even here


def test_a_database_error_raised_from_inside_another_is_still_a_503():
    try:
        raise OperationalError("connection refused")
    except OperationalError as cause:
        wrapped = RuntimeError("template rendering failed")
        wrapped.__cause__ = cause
    assert _answer_while_handling(wrapped).status_code == 503


def test_any_other_failure_is_a_500_that_says_nothing_of_the_database():
    answer = _answer_while_handling(ValueError("a bug of ours"))
    assert answer.status_code == 500
    assert b"back in a minute" not in answer.content
