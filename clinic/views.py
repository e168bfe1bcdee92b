"""The site's own pages: the landing page and /healthz."""

from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from clinic.health import broker_status, database_status, worker_status
from clinic.review.selectors import delivery_backlog


@require_safe
def home(request):
    return render(request, "clinic/home.html")


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
