"""Production: refuses to start without SECRET_KEY, FIELD_ENCRYPTION_KEYS or ALLOWED_HOSTS, or
with DEBUG on. `DJANGO_ENV=production python manage.py check --deploy` prints nothing to fix."""

import os

from django.core.exceptions import ImproperlyConfigured

if not os.environ.get("SECRET_KEY"):
    raise ImproperlyConfigured("SECRET_KEY must be set in production (DJANGO_ENV=production).")
if not os.environ.get("FIELD_ENCRYPTION_KEYS", "").strip():
    # Never the development key from var/: answers encrypted with it would be readable by
    # anyone with a copy of the checkout.
    raise ImproperlyConfigured(
        "FIELD_ENCRYPTION_KEYS must be set in production (Fernet keys, comma-separated; "
        "see docs/security.md)."
    )

from .base import *  # noqa: E402,F401,F403
from .envtools import env_bool, env_int  # noqa: E402

DEBUG = env_bool("DEBUG", False)
if DEBUG:
    raise ImproperlyConfigured("DEBUG must be off in production (DJANGO_ENV=production).")
if not os.environ.get("ALLOWED_HOSTS"):
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set in production.")

# --- Transport security ---------------------------------------------------------------------
# Behind a TLS-terminating proxy, set SECURE_PROXY_SSL_HEADER_ENABLED=true and make sure the
# proxy always overwrites X-Forwarded-Proto (see docs/security.md).
if env_bool("SECURE_PROXY_SSL_HEADER_ENABLED", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
# A year, subdomains included. `preload` only lets the domain's owner submit it to the browsers'
# preload lists; SECURE_HSTS_PRELOAD=false leaves it out (check --deploy then warns W021).
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
CONTENT_SECURITY_POLICY["DIRECTIVES"]["upgrade-insecure-requests"] = True  # noqa: F405
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_NAME = "__Host-sessionid"
CSRF_COOKIE_NAME = "__Host-csrftoken"

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
