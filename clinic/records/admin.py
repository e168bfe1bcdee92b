"""Patients and appointments in the admin, where front desk and clinic admins keep them."""

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import ValidationError

from clinic.audit.admin import AuditedAdminMixin
from clinic.records.models import Appointment, Patient
from intake.links.admin import appointment_link_message
from intake.links.services import link_issue


@admin.register(Patient)
class PatientAdmin(AuditedAdminMixin, admin.ModelAdmin):
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


class _AutocompleteSelect(AutocompleteSelect):
    """Django's autocomplete, redrawing a refused form whose value is not a valid id: the
    form names the error ("Select a valid choice"), instead of the page failing."""

    def optgroups(self, name, value, attr=None):
        pk = self.field.remote_field.model._meta.pk

        def valid(item) -> bool:
            if len(str(item).strip().lstrip("+-").lstrip("0")) > 18:
                return False  # no id is that wide (see _IdChoiceField)
            try:
                pk.to_python(item)
            except ValidationError:
                return False
            return True

        return super().optgroups(name, [v for v in value if valid(v)], attr)


class _IdChoiceField(forms.ModelChoiceField):
    """A choice by id that refuses a number no id can be (19 digits or more) as an invalid
    choice: SQLite, the embedded default, overflows on it rather than finding nothing."""

    def to_python(self, value):
        if isinstance(value, str) and len(value.strip().lstrip("+-").lstrip("0")) > 18:
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


@admin.register(Appointment)
class AppointmentAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("starts_at", "patient", "clinician", "reason", "status")
    search_fields = ("patient__last_name", "patient__first_name", "reason")
    list_filter = ("status", "clinician", "starts_at")
    list_select_related = ("patient", "clinician")
    autocomplete_fields = ("patient",)
    show_full_result_count = False
    date_hierarchy = "starts_at"
    actions = ("issue_links",)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name in self.autocomplete_fields:
            kwargs["widget"] = _AutocompleteSelect(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        kwargs["form_class"] = _IdChoiceField
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change:
            # Every appointment gets its pre-visit link; the token is shown this once.
            _, token = link_issue(appointment=obj, by=request.user)
            self.message_user(request, appointment_link_message(request, obj, token))

    @admin.action(description="Issue a new pre-visit link (the old one stops working)")
    def issue_links(self, request, queryset):
        for appointment in queryset.select_related("patient"):
            _, token = link_issue(appointment=appointment, by=request.user, replace=True)
            self.message_user(request, appointment_link_message(request, appointment, token))
