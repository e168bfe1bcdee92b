"""The benchmark floor: the least a Django view on this stack can do (one indexed read, one insert).

Routed only when PREVISIT_BENCH_FLOOR=true (bench/run.py sets it on its own server). Every other
page's time is reported as a ratio to this one, measured on the same server in the same run.
"""

from django.http import HttpResponse, HttpResponseBadRequest
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from clinic.records.models import Patient
from intake.links.models import LinkAttempt, LinkAttemptOutcome


@csrf_exempt  # no session, no form: the floor measures the stack, not CSRF
@require_POST
def floor(request):
    try:
        patient_id = int(request.GET.get("id", "1"))
    except ValueError:
        return HttpResponseBadRequest("id must be a number")
    found = Patient.objects.filter(pk=patient_id).values_list("last_name", flat=True).first()
    LinkAttempt.objects.create(
        link=None, ip_address=None, succeeded=False, outcome=LinkAttemptOutcome.BENCH
    )
    return HttpResponse(found or "-", content_type="text/plain")
