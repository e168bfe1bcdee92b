"""Responses and handouts in the admin: read-only records of what the patient said and got."""

from django.contrib import admin

from clinic.audit.admin import AuditedAdminMixin, ReadOnlyAdmin
from intake.responses.models import IssuedHandout, Response


@admin.register(Response)
class ResponseAdmin(AuditedAdminMixin, ReadOnlyAdmin):
    list_display = ("appointment", "status", "triage_level", "submitted_at", "updated_at")
    list_filter = ("status", "triage_level")
    search_fields = ("appointment__patient__last_name", "appointment__patient__first_name")
    list_select_related = ("appointment__patient",)
    show_full_result_count = False


@admin.register(IssuedHandout)
class IssuedHandoutAdmin(AuditedAdminMixin, ReadOnlyAdmin):
    list_display = ("title", "response", "reading_grade", "word_count", "created_at", "pdf_ready")
    list_filter = ("created_at",)
    search_fields = ("title",)
    list_select_related = ("response__appointment__patient",)
    show_full_result_count = False

    @admin.display(boolean=True, description="PDF ready")
    def pdf_ready(self, obj):
        return bool(obj.pdf)
