"""HTTP helpers every room uses: where a request came from, answers nobody may cache, and
absolute links for messages."""

import ipaddress
import re

from django.conf import settings
from django.http import HttpResponseBadRequest
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


_DATE_PART = re.compile(r"__(year|month|day)$")
# Wider than any 64-bit id (19 digits and more).
_TOO_BIG = re.compile(r"[+-]?0*[0-9]{19,}")


class RefuseNulInQueries:
    """Query values the database or the admin can't take are refused with a 400 naming the
    parameter, instead of an error page: a NUL character (PostgreSQL can't store or compare
    it; forms already refuse it field by field), an admin date drill-down (`__year`,
    `__month`, `__day`) that is not a small number (Django's changelist only catches
    ValueError, and a 30-digit year overflows), and a number of 19 digits or more in an admin
    filter, where it would be looked up as an id (SQLite overflows rather than finding
    nothing)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        for key, values in request.GET.lists():
            name = key.replace("\x00", "\\0")[:60]
            if "\x00" in key or any("\x00" in value for value in values):
                return _bad_query(f"'{name}' holds a NUL character (\\0). Remove it")
            if _DATE_PART.search(key) and not all(v.isdigit() and len(v) <= 4 for v in values):
                return _bad_query(f"'{name}' must be a year, month or day number. Correct it")
            admin_filter = request.path.startswith("/admin/") and key not in ("q", "p")
            if admin_filter and any(_TOO_BIG.fullmatch(value) for value in values):
                return _bad_query(f"'{name}' is a number too large to be an id. Correct it")
        if request.method == "POST" and request.path.startswith("/admin/"):
            # Admin forms look ids up as they validate (every foreign key, every many-to-many),
            # and SQLite, the embedded default, overflows on a number wider than 64 bits
            # instead of finding nothing. No admin field takes 19 digits and nothing else: a
            # phone number has at most 15 (E.164).
            for key, values in request.POST.lists():
                if any(_TOO_BIG.fullmatch(value) for value in values):
                    return _bad_query(
                        f"'{key[:60]}' is a number too large for any field here. Correct it"
                    )
        return self.get_response(request)


def _bad_query(problem: str) -> HttpResponseBadRequest:
    return HttpResponseBadRequest(
        f"The address is not valid: {problem} and try again.",
        content_type="text/plain; charset=utf-8",
    )
