"""Django's database sessions, except that a database that can't be reached is reported as such.

Django's database store turns any DatabaseError while updating a session into UpdateError ("the
session was deleted"), and SessionMiddleware answers that with a bare "Bad Request (400)". When
the cause is a lost connection (PostgreSQL restarting), that tells a patient their request was
wrong; re-raised, the error reaches handler500, which answers 503 "back in a minute".
"""

from django.contrib.sessions.backends import db
from django.contrib.sessions.backends.base import UpdateError
from django.db import InterfaceError, OperationalError


class SessionStore(db.SessionStore):
    def save(self, must_create=False):
        try:
            super().save(must_create=must_create)
        except UpdateError as error:
            cause = error.__context__
            if isinstance(cause, (OperationalError, InterfaceError)):
                raise cause from None
            raise
