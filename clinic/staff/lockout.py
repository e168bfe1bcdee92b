"""What django-axes counts sign-in failures by: the client's address and the username."""

from clinic.http import client_ip


def axes_client_ip(request) -> str | None:
    """django-axes asks this (AXES_CLIENT_IP_CALLABLE), so lockouts and audit agree."""
    return client_ip(request)


def axes_username(request, credentials=None) -> str | None:
    """The username django-axes counts failures for (AXES_USERNAME_CALLABLE).

    Cut to the longest a username can be and stripped of control characters: axes stores it
    in a 255-character column, and a hostile 10 kB "username" must be a failed sign-in, not an
    error. Every longer name is a wrong one anyway.
    """
    source = credentials if credentials else getattr(request, "POST", {})
    username = source.get("username") if source else None
    if username is None:
        return None
    return "".join(ch for ch in str(username) if ch.isprintable())[:150]
