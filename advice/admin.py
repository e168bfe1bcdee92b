from django.contrib import admin
from django.template.loader import render_to_string

from advice.content_schema import ContentError
from advice.models import ContentStatus, ContentVersion
from advice.preview import preview_html
from advice.services import content_approve, may_approve


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
        try:
            # Rendered, not escaped: the admin showed the HTML source.
            return render_to_string(
                "advice/partials/preview.html", {"html": preview_html(obj.body)}
            )
        except ContentError as exc:
            return f"This version can't be rendered: {exc}"

    def has_approve_permission(self, request):
        """Only a clinician's approval puts content in front of patients."""
        return may_approve(request.user)

    def has_change_permission(self, request, obj=None):
        # Nothing here is edited in place (content lives in files); "change" opens the preview.
        return super().has_change_permission(request, obj) and request.method in ("GET", "HEAD")

    @admin.action(description="Approve the selected drafts for patients", permissions=["approve"])
    def approve(self, request, queryset):
        approved = 0
        for version in queryset.filter(status=ContentStatus.DRAFT):
            content_approve(version=version, by=request.user)
            approved += 1
        self.message_user(request, f"Approved {approved} version(s).")
