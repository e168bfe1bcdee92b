"""HTTP helpers every room uses: where a request came from, answers nobody may cache, and
absolute links for messages."""

import ipaddress

from django.conf import settings
from django.utils.cache import add_never_cache_headers


def _valid_ip(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_ip(request) -> str | None:
    """The client's address, never taken from a header a client could have written itself.

    REMOTE_ADDR, unless TRUSTED_PROXY_COUNT says how many proxies of ours stand in front of the
    app; then the address the outermost of them saw, read from the right of X-Forwarded-For
    (anything left of it was written by the client).
    """
    remote = request.META.get("REMOTE_ADDR")
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return remote
    forwarded = [part for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part]
    if len(forwarded) < proxies:
        return remote
    return _valid_ip(forwarded[-proxies]) or remote


def no_store(response):
    """A page with health information or a sign-in step: no browser or proxy keeps a copy."""
    add_never_cache_headers(response)
    response["Cache-Control"] = "no-store, no-cache, must-revalidate, private, max-age=0"
    return response


def absolute_url(path: str) -> str:
    """A link for an email, an SMS or a webhook: the address staff and patients reach us at."""
    return f"{settings.SITE_URL}{path}"
