"""Patient links in the admin: see every check, revoke, reissue."""

from django.contrib import admin, messages
from django.utils.html import format_html

from clinic.audit.admin import AuditedAdminMixin, ReadOnlyAdmin
from intake.links.models import LinkAttempt, PrevisitLink
from intake.links.services import link_issue, link_path, link_revoke


class LinkAttemptInline(admin.TabularInline):
    """Every date-of-birth check on the link: when, from where, how it ended."""

    model = LinkAttempt
    extra = 0
    can_delete = False
    fields = ("at", "ip_address", "succeeded", "outcome")
    readonly_fields = fields
    ordering = ("-at",)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(PrevisitLink)
class PrevisitLinkAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = (
        "appointment",
        "created_at",
        "expires_at",
        "revoked_at",
        "locked_until",
        "last_verified_at",
    )
    list_filter = ("revoked_at", "created_at")
    search_fields = ("appointment__patient__last_name", "appointment__patient__first_name")
    list_select_related = ("appointment__patient",)
    readonly_fields = (
        "appointment",
        "token_hash",
        "created_at",
        "created_by",
        "expires_at",
        "revoked_at",
        "failed_attempts",
        "locked_until",
        "last_verified_at",
    )
    actions = ("revoke_links", "reissue_links")
    show_full_result_count = False
    inlines = (LinkAttemptInline,)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Revoke the selected links")
    def revoke_links(self, request, queryset):
        for link in queryset:
            link_revoke(link=link)
        self.message_user(request, f"Revoked {queryset.count()} link(s).")

    @admin.action(description="Issue a new link for the selected links' appointments")
    def reissue_links(self, request, queryset):
        appointments = {link.appointment for link in queryset.select_related("appointment")}
        for appointment in appointments:
            _, token = link_issue(appointment=appointment, by=request.user, replace=True)
            self.message_user(
                request,
                format_html(
                    "New link for {}: <code>{}</code> (shown once; the old link no longer works)",
                    appointment,
                    request.build_absolute_uri(link_path(token)),
                ),
                messages.SUCCESS,
            )


@admin.register(LinkAttempt)
class LinkAttemptAdmin(AuditedAdminMixin, ReadOnlyAdmin):
    list_display = ("at", "link", "ip_address", "succeeded", "outcome")
    list_filter = ("succeeded", "outcome")
    search_fields = ("ip_address",)
    list_select_related = ("link__appointment__patient",)
    show_full_result_count = False


def appointment_link_message(request, appointment, token):
    return format_html(
        "Pre-visit link for {}: <code>{}</code> (shown once; send it to the patient)",
        appointment.patient,
        request.build_absolute_uri(link_path(token)),
    )
