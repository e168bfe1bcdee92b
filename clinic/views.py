"""The site's own pages: the landing page, /healthz, and the answer to a request that failed."""

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from clinic.context_processors import clinic
from clinic.health import broker_status, database_status, worker_status
from clinic.review.selectors import delivery_backlog


@require_safe
def home(request):
    return render(request, "clinic/home.html")


@require_safe
def favicon(request):
    """Browsers ask for /favicon.ico whatever a page's <link rel="icon"> says (each page logged a
    404 for it): the icon's hashed static URL, looked up per request, not at import."""
    return redirect(static("img/favicon.svg"), permanent=True)


@never_cache
@require_safe
def healthz(request):
    """503 when the database or the broker is down. The worker's heartbeat is reported but does
    not fail the check: a web server whose worker stopped still serves patients, and the outbox
    keeps their notifications until a worker is back."""
    checks = {"database": database_status(), "broker": broker_status()}
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse({**checks, "worker": worker_status()}, status=200 if healthy else 503)


@never_cache
@require_safe
def healthz_delivery(request):
    """503 while a flagged case's alert has not gone out by email, SMS or webhook within its
    level's acknowledgement target (the case is still unacknowledged); the numbers only, no
    health information."""
    backlog = delivery_backlog()
    body = {
        "status": "ok" if backlog.healthy else "late",
        "waiting_alerts": backlog.waiting,
        "late_cases": backlog.late_cases,
        "oldest_waiting_minutes": backlog.oldest_minutes,
    }
    return JsonResponse(body, status=200 if backlog.healthy else 503)


# While PostgreSQL restarts or fails over, every request fails to connect: that is "try again in
# a moment" (503, Retry-After), not "something is broken" (500). Saved answers are in the database
# already and the portal's submit may be repeated safely, so a patient loses nothing by waiting.
DATABASE_UNREACHABLE = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 30


def _database_unreachable(error: BaseException | None) -> bool:
    while error is not None:
        if isinstance(error, DATABASE_UNREACHABLE):
            return True
        error = error.__cause__ or error.__context__
    return False


def server_error(request):
    """handler500. Rendered without the request: its session and user would need the database.
    Django calls it while the exception is being handled, so sys.exc_info() is that exception."""
    if not _database_unreachable(sys.exc_info()[1]):
        return defaults.server_error(request)
    page = render_to_string("503.html", {**clinic(request), "retry_after": RETRY_AFTER_SECONDS})
    response = HttpResponse(page, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response
