"""Test settings: the same as development, with fast hashing and mail kept in memory."""

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
