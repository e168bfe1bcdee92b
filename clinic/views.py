from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from clinic.health import broker_status, database_status


@require_safe
def home(request):
    return render(request, "clinic/home.html")


@never_cache
@require_safe
def healthz(request):
    checks = {"database": database_status(), "broker": broker_status()}
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse(checks, status=200 if healthy else 503)
