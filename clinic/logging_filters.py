"""Logging that never carries a live patient-link token.

A link is /p/<token>/. Django logs request paths (a CSRF refusal, "Method Not Allowed" to a
link scanner's POST, a 500), and anyone who reads the log could open the patient's
questionnaire with one. This filter, on every handler, rewrites each record's message with the
token replaced by "[token]" before any handler formats it.
"""

import logging
import re

TOKEN_PATH = re.compile(r"/p/(?!verify/|start/|q/|review/|done/|emergency/|handout)[^/\s?\"']+/?")


def redact(text: str) -> str:
    return TOKEN_PATH.sub("/p/[token]/", text)


class RedactLinkTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken record is the formatter's to report, not ours to drop
            return True
        cleaned = redact(message)
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, ()
        request = getattr(record, "request", None)
        if request is not None and TOKEN_PATH.search(getattr(request, "path", "") or ""):
            # Handlers that print the request (Django's admin email) must not see the token.
            record.request = None
        return True
