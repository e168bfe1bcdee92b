"""Bring in version 2 of the shipped general pre-visit questionnaire and make it the active one.

Version 2 adds the reasons for visit that version 1 could not express (belly pain,
palpitations, breathing problems, ear nose and sinus, eye, women's and men's health,
diabetes, lifestyle), more emergencies on the checklist everyone answers, pregnancy details
and medicine classes. Answers already given to version 1 keep version 1's definition.
"""

import json
from pathlib import Path

from django.db import migrations

FILE = Path(__file__).resolve().parent.parent / "questionnaires" / "general-previsit.json"


def load(apps, schema_editor):
    Questionnaire = apps.get_model("intake", "Questionnaire")
    resource = json.loads(FILE.read_text(encoding="utf-8"))
    url, version = resource["url"], str(resource["version"])
    if Questionnaire.objects.filter(url=url, version=version).exists():
        return  # a fresh database: 0002 already loaded the current file
    latest = (
        Questionnaire.objects.filter(name="general-previsit").order_by("-version_number").first()
    )
    row = Questionnaire.objects.create(
        name="general-previsit",
        url=url,
        version=version,
        version_number=(latest.version_number + 1) if latest else 1,
        title=resource.get("title", "General pre-visit questionnaire"),
        status="active",
        definition=resource,
    )
    Questionnaire.objects.filter(name="general-previsit", status="active").exclude(
        pk=row.pk
    ).update(status="retired")


def unload(apps, schema_editor):
    Questionnaire = apps.get_model("intake", "Questionnaire")
    resource = json.loads(FILE.read_text(encoding="utf-8"))
    Questionnaire.objects.filter(
        url=resource["url"],
        version=str(resource["version"]),
        version_number__gt=1,
        responses__isnull=True,
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("intake", "0005_link_attempt_outcome_choices")]

    operations = [migrations.RunPython(load, unload)]
