"""Encrypt the answers at rest (intake/fields.py). The column stays JSON: it now holds a token."""

import json

from django.db import migrations

import intake.responses.fields

BATCH = 500


def encrypt_existing(apps, schema_editor):
    # The historical model uses the real field class: rows read as they are (plain JSON) and
    # are written back encrypted. `update` skips save() side effects and keeps updated_at.
    Response = apps.get_model("intake", "Response")
    rows = Response.objects.using(schema_editor.connection.alias).order_by("pk")
    for response in rows.only("pk", "answers").iterator(chunk_size=BATCH):
        Response.objects.filter(pk=response.pk).update(answers=response.answers)


def decrypt_existing(apps, schema_editor):
    Response = apps.get_model("intake", "Response")
    connection = schema_editor.connection
    table = connection.ops.quote_name(Response._meta.db_table)
    cast = "%s::jsonb" if connection.vendor == "postgresql" else "%s"
    rows = Response.objects.using(connection.alias).order_by("pk")
    with connection.cursor() as cursor:
        for response in rows.only("pk", "answers").iterator(chunk_size=BATCH):
            cursor.execute(
                f"UPDATE {table} SET answers = {cast} WHERE id = %s",  # noqa: S608 (our table name)
                [json.dumps(response.answers), response.pk],
            )


class Migration(migrations.Migration):
    dependencies = [
        ("intake", "0003_response_pages_done"),
    ]

    operations = [
        migrations.AlterField(
            model_name="response",
            name="answers",
            field=intake.responses.fields.EncryptedJSONField(blank=True, default=dict),
        ),
        migrations.RunPython(encrypt_existing, decrypt_existing, elidable=False),
    ]
