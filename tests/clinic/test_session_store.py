"""Sessions when the database connection is lost: the error says so (then handler500 answers 503),
instead of Django's "the session was deleted", which SessionMiddleware turns into a bare 400.

The connection is cut for real: another connection terminates this one's server process, as a
PostgreSQL restart does.
"""

import psycopg
import pytest
from django.contrib.sessions.backends.base import UpdateError
from django.db import InterfaceError, OperationalError, connection

from clinic.session_store import SessionStore
from tests.fakes import database_url

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def _cut_this_connection():
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    url = database_url(connection.settings_dict).replace("postgres://", "postgresql://")
    with psycopg.connect(url, autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])


def test_a_session_saved_over_a_lost_connection_raises_the_connection_error():
    session = SessionStore()
    session["portal"] = {"response": 1}
    session.save()
    session["portal"] = {"response": 1, "page": "page-mood"}
    _cut_this_connection()
    try:
        with pytest.raises((OperationalError, InterfaceError)):
            session.save()
    finally:
        connection.close()  # the next query reconnects
    assert SessionStore(session.session_key).load() == {"portal": {"response": 1}}


def test_a_session_deleted_meanwhile_is_still_an_update_error():
    session = SessionStore()
    session["portal"] = {"response": 1}
    session.save()
    SessionStore(session.session_key).delete()
    session["portal"] = {"response": 2}
    with pytest.raises(UpdateError):
        session.save()
