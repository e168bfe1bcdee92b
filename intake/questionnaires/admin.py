"""Questionnaire versions in the admin: an answered version can't be changed or deleted."""

from django.contrib import admin
from django.template.loader import render_to_string

from intake.questionnaires.items import DefinitionError
from intake.questionnaires.models import Questionnaire
from intake.questionnaires.services import definition_for

OPERATORS = {"=": "is", "!=": "is not", ">": "is over", "<": "is under", ">=": "is at least",
             "<=": "is at most", "exists": "is answered"}  # fmt: skip
KINDS = {"choice": "one choice", "open-choice": "one choice or own words", "boolean": "yes or no",
         "integer": "whole number", "decimal": "number", "string": "short text",
         "text": "text", "date": "date", "display": "note", "group": "group"}  # fmt: skip


def _condition_words(definition, item) -> str:
    """An item's enableWhen as a sentence: "Do you smoke? is Yes, or ..."."""
    parts = []
    for condition in item.enable_when:
        asked = definition.items_by_id.get(condition.question)
        question = asked.short_text or asked.text if asked else condition.question
        answer = condition.answer
        if asked is not None and isinstance(answer, str) and asked.option(answer):
            answer = asked.option(answer).display
        elif isinstance(answer, bool):
            answer = "Yes" if answer else "No"
        operator = OPERATORS.get(condition.operator, condition.operator)
        parts.append(f"“{question}” {operator} {answer}")
    joiner = " or " if item.enable_behavior == "any" else " and "
    return joiner.join(parts)


def questionnaire_outline(questionnaire) -> str:
    definition = definition_for(questionnaire)
    pages = []
    for page in definition.pages:
        rows = [
            {
                "item": item,
                "kind": "total of " + ", ".join(item.sum_of)
                if item.sum_of
                else KINDS.get(item.type, item.type)
                + (", choose all that apply" if item.repeats else ""),
                "shown_when": _condition_words(definition, item),
            }
            for item in page.walk()
            if item is not page and item.type != "group"
        ]
        pages.append({"item": page, "rows": rows, "shown_when": _condition_words(definition, page)})
    return render_to_string("admin/intake/questionnaire_outline.html", {"pages": pages})


@admin.register(Questionnaire)
class QuestionnaireAdmin(admin.ModelAdmin):
    list_display = ("title", "name", "version", "status", "created_at")
    list_filter = ("status", "name")
    search_fields = ("title", "name", "url")
    list_select_related = ()
    readonly_fields = ("created_at", "outline")

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.responses.exists():
            # Answered versions never change: import a new version instead.
            return (
                "outline", "name", "url", "version", "version_number", "title", "definition",
                "created_at",
            )  # fmt: skip
        return self.readonly_fields

    @admin.display(description="Outline (pages, questions, options, when each is shown)")
    def outline(self, obj):
        if obj is None or obj.pk is None:
            return "Saved versions show their outline here."
        try:
            return questionnaire_outline(obj)
        except DefinitionError as exc:
            return f"This version can't be read as a questionnaire: {exc}"

    def has_delete_permission(self, request, obj=None):
        return obj is None or not obj.responses.exists()
