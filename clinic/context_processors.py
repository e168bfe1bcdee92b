from django.conf import settings


def clinic(request):
    return {
        "CLINIC_NAME": settings.CLINIC_NAME,
        "EMERGENCY_NUMBER": settings.EMERGENCY_NUMBER,
        "CRISIS_LINE": settings.CRISIS_LINE,
        "DASHBOARD_POLL_SECONDS": settings.DASHBOARD_POLL_SECONDS,
        "PATIENT_MINIMUM_AGE": settings.PATIENT_MINIMUM_AGE,
    }
