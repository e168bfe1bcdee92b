"""Load the shipped general pre-visit questionnaire (intake/questionnaires/general-previsit.json)."""

import json
from pathlib import Path

from django.db import migrations

FILE = Path(__file__).resolve().parent.parent / "questionnaires" / "general-previsit.json"


def load(apps, schema_editor):
    Questionnaire = apps.get_model("intake", "Questionnaire")
    resource = json.loads(FILE.read_text(encoding="utf-8"))
    url, version = resource["url"], str(resource.get("version", "1"))
    if Questionnaire.objects.filter(url=url, version=version).exists():
        return
    Questionnaire.objects.create(
        name="general-previsit",
        url=url,
        version=version,
        version_number=1,
        title=resource.get("title", "General pre-visit questionnaire"),
        status="active",
        definition=resource,
    )


def unload(apps, schema_editor):
    apps.get_model("intake", "Questionnaire").objects.filter(
        name="general-previsit", responses__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("intake", "0001_initial")]

    operations = [migrations.RunPython(load, unload)]
