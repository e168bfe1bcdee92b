from django.contrib import admin

from clinic.models import Appointment, Patient

admin.site.site_header = "Previsit administration"
admin.site.site_title = "Previsit admin"


@admin.register(Patient)
class PatientAdmin(admin.ModelAdmin):
    list_display = (
        "last_name",
        "first_name",
        "date_of_birth",
        "email",
        "phone",
        "preferred_language",
    )
    search_fields = ("last_name", "first_name", "email", "phone")
    list_filter = ("preferred_language",)
    list_select_related = ()
    show_full_result_count = False
    date_hierarchy = "created_at"


@admin.register(Appointment)
class AppointmentAdmin(admin.ModelAdmin):
    list_display = ("starts_at", "patient", "clinician", "reason", "status")
    search_fields = ("patient__last_name", "patient__first_name", "reason")
    list_filter = ("status", "clinician", "starts_at")
    list_select_related = ("patient", "clinician")
    autocomplete_fields = ("patient",)
    show_full_result_count = False
    date_hierarchy = "starts_at"
