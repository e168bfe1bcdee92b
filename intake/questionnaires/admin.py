"""Questionnaire versions in the admin: an answered version can't be changed or deleted."""

from django.contrib import admin

from intake.questionnaires.models import Questionnaire


@admin.register(Questionnaire)
class QuestionnaireAdmin(admin.ModelAdmin):
    list_display = ("title", "name", "version", "status", "created_at")
    list_filter = ("status", "name")
    search_fields = ("title", "name", "url")
    list_select_related = ()
    readonly_fields = ("created_at",)

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.responses.exists():
            # Answered versions never change: import a new version instead.
            return ("name", "url", "version", "version_number", "title", "definition", "created_at")
        return self.readonly_fields

    def has_delete_permission(self, request, obj=None):
        return obj is None or not obj.responses.exists()
