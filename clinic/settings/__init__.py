"""Settings entry point: `DJANGO_ENV=production` selects production, anything else development."""

import os

_env = os.environ.get("DJANGO_ENV", "development").strip().lower()
if _env == "production":
    from .production import *  # noqa: F401,F403
elif _env in ("development", "dev", ""):
    from .base import *  # noqa: F401,F403
else:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(f"DJANGO_ENV must be 'production' or 'development', not {_env!r}")
