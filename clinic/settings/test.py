"""Test settings: the same as development, with fast hashing and mail kept in memory."""

import os
from urllib.parse import urlsplit, urlunsplit

from .base import *  # noqa: F401,F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Serve static files straight from the source folders: tests don't run collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# Each test starts with an empty cache (rate-limit counters); clearing a shared Redis would also
# empty the Celery broker's queues.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# pytest-xdist runs the suite in several processes (`make test-sqlite`). Each gets its own Redis
# database for the Celery broker, so one process's worker never takes another's tasks, and its
# own folder for handout PDFs. (pytest-django gives each its own test database.)
_XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
if _XDIST_WORKER.startswith("gw"):
    _number = int(_XDIST_WORKER[2:])
    if REDIS_URL:  # noqa: F405
        _parts = urlsplit(REDIS_URL)  # noqa: F405
        REDIS_URL = urlunsplit(_parts._replace(path=f"/{1 + _number % 15}"))
        CELERY_BROKER_URL = CELERY_RESULT_BACKEND = REDIS_URL
    MEDIA_ROOT = MEDIA_ROOT / _XDIST_WORKER  # noqa: F405
