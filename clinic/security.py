"""Who is asking, from where, and for how long: client addresses, the second factor, sessions.

- `client_ip`: the address a request came from. REMOTE_ADDR, unless TRUSTED_PROXY_COUNT says how
  many proxies of ours stand in front of the app; then the address the outermost of them saw,
  read from the right of X-Forwarded-For (anything left of it was written by the client).
- `needs_second_factor`: clinicians, clinic admins and superusers must sign in with a TOTP code;
  anyone who enrolled a device uses it too.
- `SessionLimitsMiddleware`: the absolute session limit for everyone, the idle limit for staff,
  and no staff page for a session that has a password but not yet its second factor.
"""

import ipaddress
import time
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from clinic.roles import Role, has_role

SESSION_STARTED = "session_started_at"
STAFF_SEEN = "staff_last_seen"
# How often (seconds) the staff "last seen" time is written back: not a session save per click.
SEEN_RESOLUTION = 30


def _valid_ip(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_ip(request) -> str | None:
    """The client's address, never taken from a header a client could have written itself."""
    remote = request.META.get("REMOTE_ADDR")
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return remote
    forwarded = [part for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part]
    if len(forwarded) < proxies:
        return remote
    return _valid_ip(forwarded[-proxies]) or remote


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


# --- The second factor --------------------------------------------------------------------------


def needs_second_factor(user) -> bool:
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    if any(has_role(user, Role(role)) for role in settings.STAFF_2FA_ROLES):
        return True
    cached = getattr(user, "_previsit_has_device", None)
    if cached is None:
        from django_otp import user_has_device

        cached = user._previsit_has_device = user_has_device(user)
    return cached


def second_factor_missing(user) -> bool:
    """Signed in with a password, still owing the code."""
    return needs_second_factor(user) and not (hasattr(user, "is_verified") and user.is_verified())


# Views an account that still owes its second factor may use: signing in and out, enrolling.
HALF_SIGNED_IN_VIEWS = {
    "login",
    "logout",
    "otp_verify",
    "otp_enrol",
    "otp_enrol_qr",
    "home",
    "healthz",
}


def _htmx_redirect(request, url: str) -> HttpResponse:
    """htmx would swap the login page into the polled element: send the whole page there."""
    response = HttpResponse(status=204)
    response["HX-Redirect"] = url
    return response


def _page_behind(request) -> str:
    """The page an htmx request was made from (it is what `next` should return to)."""
    current = request.headers.get("HX-Current-URL", "")
    if current and url_has_allowed_host_and_scheme(
        current, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        parts = urlsplit(current)
        return parts.path + (f"?{parts.query}" if parts.query else "")
    return request.get_full_path()


def _to_login(request, message: str):
    next_path = _page_behind(request) if request.htmx else request.get_full_path()
    messages.info(request, message)
    response = redirect_to_login(next_path, resolve_url(settings.LOGIN_URL))
    if request.htmx:
        return _htmx_redirect(request, response["Location"])
    return response


class SessionLimitsMiddleware:
    """Session time limits and the second factor, in one place for every URL.

    - Absolute: a session ends SESSION_COOKIE_AGE (12 hours) after it began, however busy;
      Django alone would extend it on every save.
    - Idle, staff: STAFF_IDLE_MINUTES without a request the person made. htmx polling (the
      queue, the bell) is automatic, so a GET made by htmx doesn't count as activity: a
      dashboard left open on an unattended desk signs itself out.
    - Idle, patients: PATIENT_IDLE_MINUTES, enforced by the portal (intake.views) itself.
    - Second factor: a staff account that must use one reaches nothing but the sign-in, the
      code and the enrolment pages until it has.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        expired = self._expired(request)
        if expired is not None:
            return expired
        return self.get_response(request)

    def _expired(self, request):
        session = request.session
        now = time.time()
        started = session.get(SESSION_STARTED)
        user = request.user
        if started is not None and now - started > settings.SESSION_COOKIE_AGE:
            was_staff = user.is_authenticated
            logout(request)  # flushes the session, staff or patient
            if was_staff:
                return _to_login(request, "For your security, please sign in again.")
            return None  # the portal asks a patient to open their link again
        if not user.is_authenticated:
            return None
        if started is None:
            session[SESSION_STARTED] = now
        seen = session.get(STAFF_SEEN)
        if seen is not None and now - seen > settings.STAFF_IDLE_MINUTES * 60:
            logout(request)
            return _to_login(
                request,
                f"You were signed out after {settings.STAFF_IDLE_MINUTES} minutes without "
                "activity. Please sign in again.",
            )
        automatic = request.htmx and request.method == "GET"
        if not automatic and (seen is None or now - seen > SEEN_RESOLUTION):
            session[STAFF_SEEN] = now
        return None

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not second_factor_missing(request.user):
            return None
        match = request.resolver_match
        if match is not None and match.url_name in HALF_SIGNED_IN_VIEWS and not match.namespace:
            return None
        if match is not None and match.namespace == "intake":
            return None  # the patient portal has its own check and never shows staff data
        target = reverse("otp_verify") + "?" + _next_query(request)
        if request.htmx:
            return _htmx_redirect(request, target)
        return redirect(target)


def _next_query(request) -> str:
    query = QueryDict(mutable=True)
    query["next"] = _page_behind(request) if request.htmx else request.get_full_path()
    return query.urlencode()
