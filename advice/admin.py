from django.contrib import admin, messages
from django.utils.html import format_html

from advice.content_schema import ContentError
from advice.models import ContentStatus, ContentVersion
from advice.services import content_approve
from clinic.roles import Role, has_role


@admin.register(ContentVersion)
class ContentVersionAdmin(admin.ModelAdmin):
    list_display = ("topic", "version", "title", "status", "approved_by", "approved_at")
    list_filter = ("status", "topic")
    search_fields = ("topic", "title")
    list_select_related = ("approved_by",)
    readonly_fields = (
        "topic",
        "version",
        "title",
        "source_sha256",
        "status",
        "approved_by",
        "approved_at",
        "created_at",
        "preview",
    )
    exclude = ("body",)
    actions = ("approve",)

    def has_add_permission(self, request):
        return False  # versions come from the content files: `manage.py sync_content`

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Preview (as a patient who chose this topic would see it)")
    def preview(self, obj):
        from advice.preview import preview_html

        try:
            return format_html("<div class='handout'>{}</div>", preview_html(obj.body))
        except ContentError as exc:
            return f"This version can't be rendered: {exc}"

    @admin.action(description="Approve the selected drafts for patients")
    def approve(self, request, queryset):
        if not (has_role(request.user, Role.CLINICIAN) or request.user.is_superuser):
            self.message_user(request, "Only clinicians can approve content.", messages.ERROR)
            return
        approved = 0
        for version in queryset.filter(status=ContentStatus.DRAFT):
            content_approve(version=version, by=request.user)
            approved += 1
        self.message_user(request, f"Approved {approved} version(s).")
