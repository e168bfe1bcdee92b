import io
import logging

import pytest

from clinic.logging_filters import RedactLinkTokens


@pytest.fixture
def console():
    """What the configured console handler writes (the one every logger reaches)."""
    handler = next(
        h
        for h in logging.getLogger().handlers
        if any(isinstance(f, RedactLinkTokens) for f in h.filters)
    )
    stream = io.StringIO()
    old = handler.setStream(stream)
    yield stream
    handler.setStream(old)
