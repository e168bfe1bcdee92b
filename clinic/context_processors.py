import re

from django.conf import settings


def phone_href(number: str) -> str:
    """A tel: link for a phone number as people write it: "(555) 010-0100" -> "tel:5550100100"."""
    digits = re.sub(r"[^0-9+]", "", number)
    return f"tel:{digits}" if digits else ""


def clinic(request):
    return {
        "CLINIC_NAME": settings.CLINIC_NAME,
        "CLINIC_PHONE": settings.CLINIC_PHONE,
        "CLINIC_PHONE_HREF": phone_href(settings.CLINIC_PHONE),
        "CLINIC_ADDRESS": settings.CLINIC_ADDRESS,
        "EMERGENCY_NUMBER": settings.EMERGENCY_NUMBER,
        "CRISIS_LINE": settings.CRISIS_LINE,
        "DASHBOARD_POLL_SECONDS": settings.DASHBOARD_POLL_SECONDS,
        "PATIENT_MINIMUM_AGE": settings.PATIENT_MINIMUM_AGE,
    }
