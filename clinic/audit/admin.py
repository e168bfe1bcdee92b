"""The audit trail in the admin: read-only for everyone, filtered by patient and user, as CSV.

Also the two building blocks other rooms' admin pages use: `AuditedAdminMixin`, which makes a
page that shows health information record who looked at it (a list records the patients on
the page; a record's page records the record), and `ReadOnlyAdmin`, for records of what
happened.
"""

from auditlog.models import LogEntry
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import path, reverse

from clinic.audit import export, selectors, services, trail

# django-auditlog's own admin allows deletes through cascades.
admin.site.unregister(LogEntry)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records of what happened: viewable, never edited or deleted in the admin."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class AuditedAdminMixin:
    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        context = getattr(response, "context_data", None) or {}
        changelist = context.get("cl")
        if changelist is not None and request.method == "GET":
            rows = list(changelist.result_list)  # the page's rows: the template reuses them
            services.record_list(
                request,
                self.model,
                what=f"admin list: {self.model._meta.verbose_name_plural}",
                patient_ids=[trail.patient_id_of(row) for row in rows],
            )
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        context = getattr(response, "context_data", None) or {}
        original = context.get("original")
        if original is not None and request.method == "GET":
            services.record_access(original, what=f"admin: {self.model._meta.verbose_name}")
        return response


class PatientFilter(admin.SimpleListFilter):
    """A box for a patient's id (a list of every patient would not fit on the page)."""

    title = "patient (id)"
    parameter_name = "patient"
    template = "admin/clinic/input_filter.html"

    def lookups(self, request, model_admin):
        return [("", "")]  # the template shows an input, not choices

    def choices(self, changelist):
        yield {
            "value": self.value() or "",
            "hidden": [
                (key, value) for key, value in changelist.params.items() if key != "patient"
            ],
        }

    def queryset(self, request, queryset):
        value = (self.value() or "").strip()
        if not value:
            return queryset
        if not value.isdigit():
            return queryset.none()
        return selectors.for_patient(queryset, int(value))


@admin.register(LogEntry)
class AuditLogAdmin(ReadOnlyAdmin):
    """Append-only: no add, change or delete here, whoever asks (superusers included)."""

    date_hierarchy = "timestamp"
    list_display = ("timestamp", "who", "action", "what", "record", "patients", "remote_addr")
    list_filter = (
        "action",
        PatientFilter,
        ("actor", admin.RelatedOnlyFieldListFilter),
        ("content_type", admin.RelatedOnlyFieldListFilter),
    )
    list_select_related = ("actor", "content_type")
    search_fields = ("object_repr", "actor__username")
    show_full_result_count = False
    actions = ("export_csv",)
    fields = (
        "timestamp",
        "who",
        "action",
        "what",
        "record",
        "patients",
        "remote_addr",
        "cid",
        "changed_fields",
    )
    readonly_fields = fields

    @admin.display(description="Who")
    def who(self, entry):
        return selectors.who(entry)

    @admin.display(description="What")
    def what(self, entry):
        return (entry.additional_data or {}).get("what", "")

    @admin.display(description="Record")
    def record(self, entry):
        return entry.object_repr

    @admin.display(description="Patients")
    def patients(self, entry):
        return (entry.additional_data or {}).get("patients", "").strip(",")

    @admin.display(description="Changed fields (values are never shown)")
    def changed_fields(self, entry):
        return ", ".join(sorted(entry.changes_dict or {}))

    def get_urls(self):
        export = path(
            "export.csv",
            self.admin_site.admin_view(self.export_view),
            name="auditlog_logentry_export",
        )
        return [export, *super().get_urls()]

    def export_view(self, request):
        """The whole filtered trail (the list's filters and search), as CSV."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters:
            # As the list itself does with a filter it can't use: say so, show it unfiltered.
            self.message_user(
                request,
                "That filter can't be used (a value is missing or not a number): "
                "choose the filters again before downloading.",
                level=messages.ERROR,
            )
            return redirect(
                reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist")
            )
        return self._export(request, changelist.get_queryset(request))

    @admin.action(description="Download the selected entries as CSV", permissions=["view"])
    def export_csv(self, request, queryset):
        return self._export(request, queryset)

    def _export(self, request, queryset):
        response = export.audit_csv(queryset, filename="previsit-audit.csv")
        services.record_trail_export(query=request.GET.urlencode())
        return response
