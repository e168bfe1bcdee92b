"""How long a session lasts, and what a half-signed-in one may reach.

`SessionLimitsMiddleware`: the absolute session limit for everyone, the idle limit for staff,
and no staff page for a session that has a password but not yet its second factor.
"""

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

from clinic.staff.second_factor import second_factor_missing

SESSION_STARTED = "session_started_at"
STAFF_SEEN = "staff_last_seen"
# How often (seconds) the staff "last seen" time is written back: not a session save per click.
SEEN_RESOLUTION = 30
# The patient portal's URL namespace: it has its own identity check and never shows staff data.
PORTAL_NAMESPACE = "portal"


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
    - Idle, patients: PATIENT_IDLE_MINUTES, enforced by the portal itself (intake/portal/views.py).
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
        if match is not None and match.namespace == PORTAL_NAMESPACE:
            return None
        target = reverse("otp_verify") + "?" + _next_query(request)
        if request.htmx:
            return _htmx_redirect(request, target)
        return redirect(target)


def _next_query(request) -> str:
    query = QueryDict(mutable=True)
    query["next"] = _page_behind(request) if request.htmx else request.get_full_path()
    return query.urlencode()
