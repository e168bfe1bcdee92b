"""Cases and their history in the admin: read-only (cases are worked in the dashboard)."""

from django.contrib import admin

from clinic.audit.admin import AuditedAdminMixin, ReadOnlyAdmin
from clinic.review.models import Case, CaseEvent


class CaseEventInline(admin.TabularInline):
    model = CaseEvent
    extra = 0
    can_delete = False
    fields = ("at", "action", "actor", "note", "detail")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Case)
class CaseAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """Cases are worked in the dashboard; the admin shows them and their history, read-only."""

    list_display = (
        "pk",
        "appointment",
        "level",
        "status",
        "assigned_to",
        "flagged_at",
        "escalated_at",
    )
    list_filter = ("level", "status", "flagged_at")
    search_fields = ("appointment__patient__last_name", "appointment__patient__first_name")
    list_select_related = ("appointment__patient", "assigned_to")
    show_full_result_count = False
    inlines = (CaseEventInline,)
    readonly_fields = (
        "appointment",
        "level",
        "level_rank",
        "reasons",
        "status",
        "flagged_at",
        "assigned_to",
        "acknowledged_at",
        "resolved_at",
        "disposition",
        "escalated_at",
        "version",
    )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return request.method in ("GET", "HEAD") and super().has_view_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CaseEvent)
class CaseEventAdmin(AuditedAdminMixin, ReadOnlyAdmin):
    list_display = ("at", "case", "action", "actor")
    list_filter = ("action", "at")
    search_fields = ("case__appointment__patient__last_name", "note")
    list_select_related = ("case__appointment__patient", "actor")
    show_full_result_count = False
